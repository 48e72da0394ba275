package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.testing.TestClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /dashboard and /dashboard.json on the admin listener, against RabbitMQ. */
class DashboardTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final NodeHarness harness = new NodeHarness();

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void thePageIsServedWithAPolicyThatKeepsItToItsOwnOrigin() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    HttpResponse<String> page = NodeHarness.get(node, "/dashboard", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(policy -> assertThat(policy).contains("default-src 'none'", "connect-src 'self'"));
    assertThat(page.body()).contains("<title>Myxi dashboard</title>");
    assertThat(NodeHarness.post(node, "/dashboard", "{}", null).statusCode()).isEqualTo(405);
  }

  @Test
  void theDocumentShowsDeliveriesPerSecondWhileAClientReceivesEvents() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient client = harness.connect(node);
    assertThat(client.call("Subscribe", Map.of("exchange", "news", "routing_key", "all")).path("event").asText()).isEqualTo("Subscribed");
    JsonNode first = document(node, null);
    assertThat(first.at("/nodes/0/sessions").asInt()).isEqualTo(1);
    assertThat(first.at("/nodes/0/subscriptions").asInt()).isEqualTo(1);
    assertThat(first.at("/nodes/0/broker/connected").asBoolean()).isTrue();
    assertThat(first.at("/nodes/0/node_id").asText()).isEqualTo(node.server().nodeId());

    AtomicInteger published = new AtomicInteger();
    JsonNode moving = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
      String event = "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"Tick\",\"payload\":{\"n\":" + published.incrementAndGet() + "}}";
      assertThat(NodeHarness.post(node, "/publish", event, null).statusCode()).isEqualTo(202);
      assertThat(client.nextEvent("Tick")).isNotNull();
      return document(node, null);
    }, document -> document.at("/nodes/0/per_second/deliveries").asDouble() > 0 && document.at("/nodes/0/per_second/frames").asDouble() > 0);
    assertThat(moving.at("/nodes/0/totals/deliveries_received").asLong()).isPositive();
  }

  @Test
  void theDocumentNeedsTheAdminTokenWhenOneIsSet() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "admin.token", "admin-token-0123456789"));
    assertThat(NodeHarness.get(node, "/dashboard.json", null).statusCode()).isEqualTo(401);
    assertThat(NodeHarness.get(node, "/dashboard.json", "wrong").statusCode()).isEqualTo(401);
    assertThat(document(node, "admin-token-0123456789").at("/nodes/0/sessions").asInt()).isZero();
    // The page itself holds no data: it asks for the token.
    assertThat(NodeHarness.get(node, "/dashboard", null).statusCode()).isEqualTo(200);
  }

  private static JsonNode document(StandaloneNode node, String bearer) throws Exception {
    HttpResponse<String> response = NodeHarness.get(node, "/dashboard.json", bearer);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    return MAPPER.readTree(response.body());
  }
}
