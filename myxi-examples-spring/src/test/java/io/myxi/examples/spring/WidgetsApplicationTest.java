package io.myxi.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.myxi.Myxi;
import io.myxi.micrometer.MyxiMetrics;
import io.myxi.server.MyxiServer;
import io.myxi.server.SessionCloseReason;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example application on the real broker: a browser-like client signs in, follows a widget and
 * receives what the application pushes through the injected {@link Myxi}; {@code /actuator/health}
 * and the MeterRegistry show the node. Both tests share one application context.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class WidgetsApplicationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @DynamicPropertySource
  static void broker(DynamicPropertyRegistry properties) {
    properties.add("myxi.broker.url", RabbitMqFixture::uri);
    properties.add("myxi.exchange-prefix", () -> RabbitMqFixture.unique("spring-example") + ".");
    properties.add("myxi.server.port", () -> "0");
    properties.add("myxi.server.bind-address", () -> "127.0.0.1");
  }

  @Autowired
  Myxi myxi;

  @Autowired
  MyxiServer server;

  @Autowired
  MeterRegistry meters;

  @Autowired
  MyxiMetrics nodeMetrics;

  @LocalServerPort
  int httpPort;

  @Test
  void a_client_signs_in_subscribes_and_receives_what_the_application_pushes_and_the_registry_counts_it() throws Exception {
    assertThat(server.awaitReady(Duration.ofSeconds(30))).as("the node queue connected to RabbitMQ").isTrue();
    try (TestClient client = TestClient.connect(server.port())) {
      JsonNode refused = client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1"));
      assertThat(refused.path("payload").path("error").asText()).as("widgets needs a signed-in session").isNotEmpty();
      assertThat(client.call("Authenticate", Map.of("token", "nobody")).path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
      JsonNode signedIn = client.call("Authenticate", Map.of("token", "alice-token"));
      assertThat(signedIn.path("event").asText()).isEqualTo("Authenticated");
      assertThat(signedIn.path("payload").path("user").asText()).isEqualTo("alice");
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1")).path("event").asText()).isEqualTo("Subscribed");

      myxi.pushEvent("widgets", "1", "WidgetUpdated", Map.of("name", "Bolt"));

      JsonNode event = client.nextEvent("WidgetUpdated");
      assertThat(event.path("payload").path("name").asText()).isEqualTo("Bolt");
      assertThat(event.path("mq").path("rk").asText()).isEqualTo("1");

      // The node's meters, in the application's own registry (bound by Spring Boot through MyxiMetrics);
      // refresh() reads a snapshot now rather than one up to a second old.
      nodeMetrics.refresh();
      assertThat(meters.get("myxi.sessions").gauge().value()).isEqualTo(1.0);
      assertThat(meters.get("myxi.subscriptions").gauge().value()).isEqualTo(1.0);
      assertThat(meters.get("myxi.ready").gauge().value()).isEqualTo(1.0);
      assertThat(meters.get("myxi.actions").tags("action", "Authenticate", "outcome", "completed").counter().count()).isEqualTo(2.0);
      assertThat(meters.get("myxi.authorization").tags("exchange", "widgets", "result", "allowed").timer().count()).isEqualTo(1);
      assertThat(meters.get("myxi.sessions.closed").tag("reason", SessionCloseReason.SLOW_CONSUMER.key()).counter().count()).isZero();
      assertThat(meters.get("myxi.deliveries.received").functionCounter().count()).isGreaterThanOrEqualTo(1.0);
    }
  }

  @Test
  void actuator_health_and_readiness_show_the_node() throws Exception {
    assertThat(server.awaitReady(Duration.ofSeconds(30))).isTrue();
    JsonNode health = get("/actuator/health");
    JsonNode node = health.path("components").path("myxi");
    assertThat(node.path("status").asText()).isEqualTo("UP");
    assertThat(node.path("details").path("state").asText()).isEqualTo("ready");
    assertThat(node.path("details").path("brokerConnected").asBoolean()).isTrue();
    assertThat(node.path("details").path("draining").asBoolean()).isFalse();
    assertThat(node.path("details").path("nodeId").asText()).isEqualTo(server.nodeId());

    JsonNode readiness = get("/actuator/health/readiness");
    assertThat(readiness.path("status").asText()).isEqualTo("UP");
    assertThat(readiness.path("components").has("myxi")).as("the node is part of readiness").isTrue();

    JsonNode sessions = get("/actuator/metrics/myxi.sessions");
    assertThat(sessions.path("name").asText()).isEqualTo("myxi.sessions");
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
