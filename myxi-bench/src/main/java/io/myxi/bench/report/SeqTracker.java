package io.myxi.bench.report;

import java.util.BitSet;

/**
 * Per-subscription accounting of the per-key sequence numbers a client received: distinct seqs,
 * duplicates, and the seqs missing from a range the publisher says were sent.
 *
 * <p>A client's listener is called by one thread at a time, but the driver reads the tracker from
 * another thread, so the methods are synchronized (uncontended in the hot path).
 */
public final class SeqTracker {
    private final BitSet seen = new BitSet();
    private long received;
    private long duplicates;
    private int maxSeq = -1;

    /** Records one received seq; returns true if it was a duplicate. */
    public synchronized boolean record(int seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("negative seq " + seq);
        }
        received++;
        if (seen.get(seq)) {
            duplicates++;
            return true;
        }
        seen.set(seq);
        if (seq > maxSeq) {
            maxSeq = seq;
        }
        return false;
    }

    /** Frames received, duplicates included. */
    public synchronized long received() {
        return received;
    }

    public synchronized long distinct() {
        return seen.cardinality();
    }

    public synchronized long duplicates() {
        return duplicates;
    }

    /** Highest seq received, or -1. */
    public synchronized int maxSeq() {
        return maxSeq;
    }

    /** Seqs in {@code [from, toExclusive)} that were never received. */
    public synchronized long missing(int from, int toExclusive) {
        if (toExclusive <= from) {
            return 0;
        }
        return (toExclusive - from) - seen.get(from, toExclusive).cardinality();
    }

    /** Seqs in {@code [0, published)} that were never received. */
    public long lost(int published) {
        return missing(0, published);
    }

    /** Distinct seqs received that the publisher never sent (>= published): a harness or routing bug. */
    public synchronized long unexpected(int published) {
        return seen.get(Math.max(0, published), Math.max(published, maxSeq + 1)).cardinality();
    }

    /** True when every seq of {@code [0, published)} was received. */
    public synchronized boolean complete(int published) {
        return seen.nextClearBit(0) >= published;
    }
}
