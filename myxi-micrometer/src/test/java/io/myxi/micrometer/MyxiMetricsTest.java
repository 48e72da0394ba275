package io.myxi.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.DropReason;
import io.myxi.server.MyxiServer;
import io.myxi.server.SessionCloseReason;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The binder on a live node (in-process broker, real sockets): what an embedder's registry gets. */
class MyxiMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InProcessBroker broker = new InProcessBroker();
  private final Myxi myxi = Myxi.builder()
      .broker(broker)
      .exchange("widgets", (session, key) -> !key.equals("secret"))
      .action("Fail", request -> {
        throw new IllegalStateException("boom");
      })
      .build();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private MyxiServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.stop();
    }
    myxi.close();
    broker.close();
  }

  @Test
  void every_reason_of_every_enum_is_registered_at_zero_before_anything_happens() {
    MyxiMetrics metrics = new MyxiMetrics();
    metrics.bindTo(registry);
    for (SessionCloseReason reason : SessionCloseReason.values()) {
      if (reason.byNode()) {
        assertThat(counter(registry, "myxi.sessions.closed", "reason", reason.key())).isZero();
      }
    }
    for (ConnectionRefusal reason : ConnectionRefusal.values()) {
      assertThat(counter(registry, "myxi.sessions.closed", "reason", reason.key())).isZero();
    }
    for (DropReason reason : DropReason.values()) {
      assertThat(counter(registry, "myxi.deliveries.dropped", "reason", reason.key())).isZero();
    }
    assertThat(registry.find("myxi.sessions").gauge()).as("no gauges before a server is monitored").isNull();
  }

  @Test
  void a_live_node_shows_its_sessions_subscriptions_actions_deliveries_and_errors() throws Exception {
    MyxiMetrics metrics = new MyxiMetrics(exchange -> Tags.of("team", "core"));
    metrics.bindTo(registry);
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).listener(metrics).build().start();
    metrics.monitor(server);
    assertThat(server.awaitReady(WAIT)).isTrue();

    try (TestClient client = TestClient.connect(server.port())) {
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1")).get("event").asText()).isEqualTo("Subscribed");
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "secret")).get("event").asText()).isEqualTo("Error");
      JsonNode failed = client.call("Fail", null);
      assertThat(failed.get("payload").get("error").asText()).isEqualTo("InternalError");
      myxi.pushEvent("widgets", "1", "WidgetUpdated", Map.of("name", "Bolt"));
      assertThat(client.nextEvent("WidgetUpdated").get("payload").get("name").asText()).isEqualTo("Bolt");

      metrics.refresh();
      assertThat(registry.get("myxi.sessions").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("myxi.subscriptions").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("myxi.bindings").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("myxi.broker.connected").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("myxi.ready").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("myxi.deliveries.received").functionCounter().count()).isEqualTo(1.0);
      assertThat(registry.get("myxi.errors.sent").tag("code", "InternalError").functionCounter().count()).isEqualTo(1.0);
      assertThat(registry.get("myxi.actions").tags("action", "Subscribe", "outcome", "completed").counter().count()).isEqualTo(2.0);
      assertThat(registry.get("myxi.actions").tags("action", "Fail", "outcome", "failed").counter().count()).isEqualTo(1.0);
      assertThat(registry.get("myxi.action").tag("action", "Fail").timer().count()).isEqualTo(1);
      assertThat(registry.get("myxi.authorization").tags("result", "denied", "team", "core").timer().count()).isEqualTo(1);
      assertThat(registry.get("myxi.authorization").tags("result", "allowed", "team", "core").timer().count()).isEqualTo(1);
    }
    // Without refresh(), the gauges take a new snapshot once theirs is a second old.
    await().atMost(WAIT).until(() -> registry.get("myxi.sessions").gauge().value() == 0.0);
  }

  @Test
  void bound_to_two_registries_both_count_and_a_server_is_monitored_once() {
    SimpleMeterRegistry second = new SimpleMeterRegistry();
    MyxiMetrics metrics = new MyxiMetrics();
    metrics.bindTo(registry);
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).maxConnections(1).listener(metrics).build().start();
    metrics.monitor(server);
    metrics.bindTo(second);
    try (TestClient first = TestClient.connect(server.port());
        TestClient refused = TestClient.connectRaw(URI.create("ws://127.0.0.1:" + server.port() + "/"), Map.of())) {
      refused.awaitClose(WAIT);
      await().atMost(WAIT).until(() -> counter(second, "myxi.sessions.closed", "reason", ConnectionRefusal.TOO_MANY_CONNECTIONS.key()) == 1.0);
      assertThat(counter(registry, "myxi.sessions.closed", "reason", ConnectionRefusal.TOO_MANY_CONNECTIONS.key())).isEqualTo(1.0);
      assertThat(second.get("myxi.sessions").gauge()).isNotNull();
    }
    assertThatThrownBy(() -> metrics.monitor(server)).isInstanceOf(IllegalStateException.class).hasMessageContaining(server.nodeId());
  }

  private static double counter(MeterRegistry registry, String name, String tag, String value) {
    return registry.get(name).tag(tag, value).counter().count();
  }
}
