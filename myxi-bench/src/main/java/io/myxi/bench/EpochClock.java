package io.myxi.bench;

import java.time.Instant;

/**
 * Wall-clock time in microseconds since the Unix epoch.
 *
 * <p>Intended send times travel inside event payloads, so they must not depend on one JVM's
 * {@code System.nanoTime()} origin: any process on the same machine (publisher, clients) reads the
 * same realtime clock. On Linux/JDK 17 {@link Instant#now()} has microsecond resolution.
 */
public final class EpochClock {
    private EpochClock() {
    }

    public static long micros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
