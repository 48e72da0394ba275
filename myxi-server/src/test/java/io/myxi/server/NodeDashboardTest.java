package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The dashboard's document from snapshots on a virtual clock: rates, problems, the page. */
class NodeDashboardTest {
  private static final Instant START = Instant.parse("2026-12-04T12:00:00Z");

  private final AtomicReference<NodeStats> stats = new AtomicReference<>(stats(0, 0, Map.of(), Map.of(), Map.of(), true));
  private final MutableClock clock = new MutableClock(START);
  private final NodeDashboard dashboard = new NodeDashboard(stats::get, () -> stats.get().brokerConnected(), () -> "amqp://127.0.0.1:5672", clock);

  @Test
  void ratesArePerSecondBetweenSnapshots() throws Exception {
    JsonNode first = parse();
    assertThat(first.at("/nodes/0/per_second/deliveries").asDouble()).isZero();
    assertThat(first.at("/nodes/0/broker/connected").asBoolean()).isTrue();

    stats.set(stats(50, 150, Map.of("no_subscribers", 4L), Map.of(), Map.of(), true));
    clock.advance(Duration.ofSeconds(2));
    JsonNode second = parse();
    assertThat(second.at("/nodes/0/per_second/deliveries").asDouble()).isEqualTo(25.0);
    assertThat(second.at("/nodes/0/per_second/frames").asDouble()).isEqualTo(75.0);
    assertThat(second.at("/nodes/0/per_second/drops").asDouble()).isEqualTo(2.0);
    assertThat(second.at("/nodes/0/totals/deliveries_dropped").asLong()).isEqualTo(4);
    assertThat(second.at("/nodes/0/dropped_by_reason/no_subscribers").asLong()).isEqualTo(4);
    assertThat(second.at("/nodes/0/uptime_seconds").asLong()).isEqualTo(2);
  }

  @Test
  void pollsCloserThanTheSampleIntervalReuseTheRatesButShowFreshTotals() throws Exception {
    parse();
    stats.set(stats(10, 10, Map.of(), Map.of(), Map.of(), true));
    clock.advance(Duration.ofSeconds(1));
    assertThat(parse().at("/nodes/0/per_second/deliveries").asDouble()).isEqualTo(10.0);

    stats.set(stats(100, 100, Map.of(), Map.of(), Map.of(), true));
    clock.advance(Duration.ofMillis(100));
    JsonNode soon = parse();
    assertThat(soon.at("/nodes/0/per_second/deliveries").asDouble()).isEqualTo(10.0);
    assertThat(soon.at("/nodes/0/totals/deliveries_received").asLong()).isEqualTo(100);

    clock.advance(Duration.ofMillis(900));
    assertThat(parse().at("/nodes/0/per_second/deliveries").asDouble()).isEqualTo(90.0);
  }

  @Test
  void aCounterThatWentBackCountsFromZero() throws Exception {
    stats.set(stats(1000, 1000, Map.of(), Map.of(), Map.of(), true));
    parse();
    stats.set(stats(5, 5, Map.of(), Map.of(), Map.of(), true));
    clock.advance(Duration.ofSeconds(1));
    assertThat(parse().at("/nodes/0/per_second/deliveries").asDouble()).isEqualTo(5.0);
  }

  @Test
  void recentProblemsNameTheReasonAndCountNewestFirst() throws Exception {
    parse();
    stats.set(stats(0, 0, Map.of("slow_consumer", 2L), Map.of("InternalError", 1L), Map.of("origin_refused", 3L), false));
    clock.advance(Duration.ofSeconds(1));
    parse();
    stats.set(stats(0, 0, Map.of("slow_consumer", 2L), Map.of("InternalError", 1L), Map.of("origin_refused", 3L), true));
    clock.advance(Duration.ofSeconds(1));
    JsonNode problems = parse().get("recent_problems");

    assertThat(problems.get(0).get("text").asText()).isEqualTo("broker connection back");
    assertThat(problems).extracting(problem -> problem.get("text").asText() + " x" + problem.get("count").asLong())
        .containsExactlyInAnyOrder("broker connection back x1", "broker connection lost x1",
            "deliveries dropped: slow_consumer x2", "Error frames sent: InternalError x1", "closed by the node: origin_refused x3");
  }

  @Test
  void recentProblemsAreBounded() throws Exception {
    parse();
    for (int i = 1; i <= NodeDashboard.RECENT_PROBLEMS + 5; i++) {
      stats.set(stats(0, 0, Map.of(), Map.of("E" + i, 1L), Map.of(), true));
      clock.advance(Duration.ofSeconds(1));
      parse();
    }
    JsonNode problems = parse().get("recent_problems");
    assertThat(problems).hasSize(NodeDashboard.RECENT_PROBLEMS);
    assertThat(problems.get(0).get("text").asText()).endsWith("E" + (NodeDashboard.RECENT_PROBLEMS + 5));
  }

  @Test
  void thePageIsSelfContainedAndPollsTheDocumentBesideIt() {
    String page = new String(NodeDashboard.page(), StandardCharsets.UTF_8);
    assertThat(page).startsWith("<!doctype html>").contains("fetch(\"dashboard.json\"");
    assertThat(page).doesNotContainPattern("(src|href)=\"(https?:)?//");
    // Values reach the page as text, never as markup.
    assertThat(page).doesNotContain("innerHTML");
  }

  private JsonNode parse() throws Exception {
    return new ObjectMapper().readTree(dashboard.json());
  }

  private static NodeStats stats(long deliveries, long frames, Map<String, Long> drops, Map<String, Long> errors, Map<String, Long> closes, boolean connected) {
    return new NodeStats("node-1", START, connected, connected ? "amq.gen-1" : null, 3, 1, 5, 2, deliveries, deliveries, frames, drops, errors, closes, 0);
  }

}
