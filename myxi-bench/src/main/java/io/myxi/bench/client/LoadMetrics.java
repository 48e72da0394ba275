package io.myxi.bench.client;

import io.myxi.bench.EpochClock;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * What a group of clients measured: latency from each event's <em>intended</em> send time to its
 * arrival (only for events whose intended time falls in the measurement window, so warm-up is
 * excluded but late deliveries of in-window events are not: no coordinated omission), and a count
 * of event frames received.
 */
public final class LoadMetrics {
    /** Latency in microseconds, 1 µs .. 1 h, 3 significant digits. */
    public final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3_600_000_000L, 3);
    public final LongAdder frames = new LongAdder();
    public final LongAdder badFrames = new LongAdder();
    public final LongAdder otherFrames = new LongAdder();
    private volatile long windowFromMicros = Long.MAX_VALUE;
    private volatile long windowToMicros = Long.MAX_VALUE;

    public void window(long fromMicros, long toMicros) {
        this.windowToMicros = toMicros;
        this.windowFromMicros = fromMicros;
    }

    void onEvent(long intendedMicros, long receivedMicros) {
        frames.increment();
        if (intendedMicros >= windowFromMicros && intendedMicros < windowToMicros) {
            latencyMicros.recordValue(Math.max(0, Math.min(receivedMicros - intendedMicros, 3_600_000_000L)));
        }
    }

    public static long now() {
        return EpochClock.micros();
    }
}
