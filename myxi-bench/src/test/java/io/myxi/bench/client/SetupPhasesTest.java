package io.myxi.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SetupPhasesTest {
    private static final long MS = 1_000_000L;

    private static BenchClient client(long start, long open, long welcome, long authenticated, long ready) {
        BenchClient c = new BenchClient(1, "t", new String[] {"k"}, false, new LoadMetrics());
        c.connectStartNanos = start;
        c.openNanos = open;
        c.welcomeNanos = welcome;
        c.authenticatedNanos = authenticated;
        c.readyNanos = ready;
        return c;
    }

    @SuppressWarnings("unchecked")
    private static double p50(Map<String, Object> record, String phase) {
        return ((Number) ((Map<String, Object>) record.get(phase)).get("p50_ms")).doubleValue();
    }

    @Test
    void each_phase_is_the_time_from_the_previous_step() {
        SetupPhases phases = new SetupPhases();
        long t0 = 1_000 * MS;
        phases.record(client(t0, t0 + 4 * MS, t0 + 5 * MS, t0 + 8 * MS, t0 + 20 * MS));
        Map<String, Object> r = phases.toRecord();
        assertThat(r).containsOnlyKeys("open", "welcome", "authenticate", "subscribe");
        assertThat(p50(r, "open")).isCloseTo(4.0, within(0.05)); // HdrHistogram: 3 significant digits
        assertThat(p50(r, "welcome")).isCloseTo(1.0, within(0.05));
        assertThat(p50(r, "authenticate")).isCloseTo(3.0, within(0.05));
        assertThat(p50(r, "subscribe")).isCloseTo(12.0, within(0.05));
    }

    @Test
    void a_step_not_seen_counts_as_zero_and_its_time_goes_to_the_next_phase() {
        SetupPhases phases = new SetupPhases();
        long t0 = 1_000 * MS;
        // No authentication answer recorded: from the greeting to ready is all "subscribe".
        phases.record(client(t0, t0 + 2 * MS, t0 + 3 * MS, 0, t0 + 10 * MS));
        Map<String, Object> r = phases.toRecord();
        assertThat(p50(r, "authenticate")).isCloseTo(0.0, within(0.05));
        assertThat(p50(r, "subscribe")).isCloseTo(7.0, within(0.05));
    }
}
