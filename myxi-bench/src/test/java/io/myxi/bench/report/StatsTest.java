package io.myxi.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void median() {
        assertThat(Stats.median(List.of(3, 1, 2))).isEqualTo(2.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Stats.median(Arrays.asList(5.0, null, Double.NaN))).isEqualTo(5.0);
        assertThat(Stats.median(List.of())).isNaN();
    }

    @Test
    void latencySummaryInMilliseconds() {
        Histogram h = new Histogram(3_600_000_000L, 3);
        for (int i = 1; i <= 1000; i++) {
            h.recordValue(i * 1000L); // 1 ms .. 1000 ms
        }
        Map<String, Object> m = Stats.latencyMs(h);
        assertThat(m.get("count")).isEqualTo(1000L);
        assertThat((Double) m.get("p50_ms")).isCloseTo(500.0, within(1.0));
        assertThat((Double) m.get("p99_ms")).isCloseTo(990.0, within(1.0));
        assertThat((Double) m.get("p999_ms")).isCloseTo(999.0, within(1.0));
        assertThat((Double) m.get("max_ms")).isCloseTo(1000.0, within(1.0));
        Map<String, Object> empty = Stats.latencyMs(new Histogram(3));
        assertThat(empty.get("count")).isEqualTo(0L);
        assertThat(empty.get("p99_ms")).isNull();
    }

    @Test
    void numbersAndRatios() {
        assertThat(Stats.round(1.23456, 2)).isEqualTo(1.23);
        assertThat(Stats.num(Double.NaN, 2)).isNull();
        assertThat(Stats.ratio(1, 0)).isNaN();
        assertThat(Stats.ratio(3, 2)).isEqualTo(1.5);
    }

    @Test
    void markdownTableReportsMediansPerVariant() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> runs = List.of(
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"a\",\"summary\":{\"p99_ms\":10,\"lost\":0}}"),
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"a\",\"summary\":{\"p99_ms\":30,\"lost\":2}}"),
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"a\",\"summary\":{\"p99_ms\":20,\"lost\":0}}"),
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"b\",\"summary\":{\"p99_ms\":1.5,\"lost\":null}}"),
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"b\",\"noisy\":true,\"summary\":{\"p99_ms\":900}}"),
                json.readTree("{\"scenario\":\"S1\",\"target\":\"myxi\",\"variant\":\"n\",\"noisy\":true,\"summary\":{\"p99_ms\":7}}"),
                json.readTree("{\"scenario\":\"S4\",\"target\":\"myxi\",\"variant\":\"c\",\"summary\":{\"heap_kb_per_conn\":4.25}}"));
        String md = ResultsTable.markdown(runs);
        assertThat(md).contains("### S1 (median of runs)")
                .contains("| target | variant | runs | p99_ms | lost |")
                .contains("| myxi | a | 3 | 20 | 0 |")
                .contains("| myxi | b | 1 (+1 noisy) | 1.50 | – |")
                .contains("| myxi | n | 1 | 7 | – |")
                .contains("### S4")
                .contains("| myxi | c | 1 | 4.25 |");
    }
}
