package io.myxi.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.AbstractHistogram;

/** Small pure helpers: medians, latency summaries, ratios. */
public final class Stats {
    private Stats() {
    }

    /** The median of the non-null values (mean of the middle two for an even count); NaN if none. */
    public static double median(List<? extends Number> values) {
        List<Double> v = new ArrayList<>();
        for (Number n : values) {
            if (n != null && !Double.isNaN(n.doubleValue())) {
                v.add(n.doubleValue());
            }
        }
        if (v.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(v);
        int m = v.size() / 2;
        return v.size() % 2 == 1 ? v.get(m) : (v.get(m - 1) + v.get(m)) / 2.0;
    }

    /** {@code a / b}, or NaN when {@code b} is 0. */
    public static double ratio(double a, double b) {
        return b == 0 ? Double.NaN : a / b;
    }

    /** A JSON-friendly number: null for NaN or infinity, else rounded to {@code digits} decimals. */
    public static Double num(double v, int digits) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : round(v, digits);
    }

    /** Rounds to {@code digits} decimals (NaN stays NaN). */
    public static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /**
     * Latency summary of a histogram recorded in microseconds, in milliseconds: count, p50, p99,
     * p99.9, max (null percentiles when empty).
     */
    public static Map<String, Object> latencyMs(AbstractHistogram h) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        long n = h.getTotalCount();
        m.put("count", n);
        m.put("p50_ms", n == 0 ? null : round(h.getValueAtPercentile(50.0) / 1000.0, 3));
        m.put("p99_ms", n == 0 ? null : round(h.getValueAtPercentile(99.0) / 1000.0, 3));
        m.put("p999_ms", n == 0 ? null : round(h.getValueAtPercentile(99.9) / 1000.0, 3));
        m.put("max_ms", n == 0 ? null : round(h.getMaxValue() / 1000.0, 3));
        return m;
    }
}
