package io.myxi.bench.client;

import io.myxi.bench.report.Stats;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Where a client's set-up time goes, phase by phase, so a slow set-up can be pinned on one round
 * trip: {@code open} (TCP connect and the WebSocket upgrade), {@code welcome} (open until the
 * server's greeting: Myxi's {@code Welcome}, Engine.IO's open packet), {@code authenticate} (the
 * greeting until the answer to {@code Authenticate}, Socket.IO's connect {@code 40}) and
 * {@code subscribe} (that answer until the last {@code Subscribed}). Thread-safe.
 */
public final class SetupPhases {
    private static final long MAX_MICROS = 3_600_000_000L;
    private final ConcurrentHistogram open = new ConcurrentHistogram(MAX_MICROS, 3);
    private final ConcurrentHistogram welcome = new ConcurrentHistogram(MAX_MICROS, 3);
    private final ConcurrentHistogram authenticate = new ConcurrentHistogram(MAX_MICROS, 3);
    private final ConcurrentHistogram subscribe = new ConcurrentHistogram(MAX_MICROS, 3);

    /** Records a client that became ready (phases it skipped count as 0). */
    public void record(BenchClient c) {
        long opened = orElse(c.openNanos, c.connectStartNanos);
        long welcomed = orElse(c.welcomeNanos, opened);
        long authenticated = orElse(c.authenticatedNanos, welcomed);
        recordMicros(open, opened - c.connectStartNanos);
        recordMicros(welcome, welcomed - opened);
        recordMicros(authenticate, authenticated - welcomed);
        recordMicros(subscribe, c.readyNanos - authenticated);
    }

    /** p50 and p99 of each phase, in ms. */
    public Map<String, Object> toRecord() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("open", percentiles(open));
        m.put("welcome", percentiles(welcome));
        m.put("authenticate", percentiles(authenticate));
        m.put("subscribe", percentiles(subscribe));
        return m;
    }

    private static long orElse(long nanos, long fallback) {
        return nanos == 0 ? fallback : nanos;
    }

    private static void recordMicros(ConcurrentHistogram h, long nanos) {
        h.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
    }

    private static Map<String, Object> percentiles(ConcurrentHistogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50_ms", Stats.round(h.getValueAtPercentile(50) / 1e3, 2));
        m.put("p99_ms", Stats.round(h.getValueAtPercentile(99) / 1e3, 2));
        return m;
    }
}
