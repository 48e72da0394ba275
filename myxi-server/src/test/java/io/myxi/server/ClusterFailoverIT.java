package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.PublishException;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqCluster;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node on the 3-node RabbitMQ cluster ({@code .ci/rabbitmq-cluster}; skipped when it is not
 * running), seen from the WebSocket side: after its broker node is stopped, or its connections are
 * force-closed, the node fails over to a surviving broker node, every subscribed client gets
 * {@code MissedEvents} and then, without resubscribing, every event confirmed after the failover,
 * in order. Prints {@code FIGURE} lines: fault to the first event a client receives again.
 */
@RabbitMqCluster.Required
class ClusterFailoverIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration LIVE_WITHIN = Duration.ofSeconds(2);
  private final RabbitMqCluster cluster = RabbitMqCluster.get();
  private final String connectionName = RabbitMqFixture.unique("myxi-cluster-failover");
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final TestApp app = new TestApp();
  private RabbitMqBroker broker;
  private RabbitMqBroker publisherBroker;
  private Myxi myxi;
  private Myxi publisher;
  private MyxiServer server;

  private void start() {
    broker = RabbitMqBroker.builder().uris(cluster.urls()).connectionName(connectionName)
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofMillis(500)).build();
    broker.start();
    myxi = app.builder(broker).publishTimeout(Duration.ofSeconds(2)).build();
    // The application publishing from elsewhere: its own connection to the cluster, which fails over too.
    publisherBroker = RabbitMqBroker.builder().uris(cluster.urls()).connectionName(connectionName + "-app")
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofMillis(500)).build();
    publisher = app.builder(publisherBroker).publishTimeout(Duration.ofSeconds(2)).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start();
    await("node ready").atMost(WAIT).until(server::isReady);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    if (server != null) {
      server.stop();
      myxi.close();
      publisher.close();
      broker.close();
      publisherBroker.close();
    }
    cluster.startStoppedNodes();
  }

  private TestClient subscriber(String... keys) {
    TestClient client = TestClient.connect(server.port());
    closeables.add(client);
    int tag = client.action("Subscribe", Map.of("exchange", "public", "routing_keys", List.of(keys)));
    for (int i = 0; i < keys.length; i++) {
      assertThat(client.nextWithTag(tag).path("event").asText()).isEqualTo("Subscribed");
    }
    return client;
  }

  /** Publishes probes (retrying refused ones) until the client receives one; milliseconds since {@code sinceNanos}. */
  private long millisUntilLive(TestClient client, long sinceNanos) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (int probe = 0; System.nanoTime() < deadline; probe++) {
      try {
        publisher.pushEvent("public", "feed", "Probe", Map.of("n", probe));
      } catch (PublishException notYet) {
        // The application's own connection may be failing over too.
      }
      for (JsonNode frame = client.poll(Duration.ofMillis(20)); frame != null; frame = client.poll(Duration.ofMillis(1))) {
        if (frame.path("event").asText().equals("Probe")) {
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
        }
        if (frame.path("event").asText().equals("MissedEvents")) {
          missedEvents.add(frame);
        }
      }
    }
    throw new AssertionError("no probe delivered within " + WAIT);
  }

  private final List<JsonNode> missedEvents = new ArrayList<>();

  /** Every event confirmed after the failover reaches the client once, in order per key. */
  private void assertAllDelivered(TestClient client, String... keys) {
    String run = Long.toString(System.nanoTime());
    for (int i = 0; i < 20; i++) {
      for (String key : keys) {
        publisher.pushEvent("public", key, "Numbered", Map.of("run", run, "i", i, "key", key));
      }
    }
    int[] next = new int[keys.length];
    int expected = 20 * keys.length;
    while (expected > 0) {
      JsonNode frame = client.next(WAIT);
      if (frame.path("event").asText().equals("MissedEvents")) {
        missedEvents.add(frame);
      }
      if (!frame.path("event").asText().equals("Numbered") || !frame.path("payload").path("run").asText().equals(run)) {
        continue;
      }
      int keyIndex = List.of(keys).indexOf(frame.path("payload").path("key").asText());
      assertThat(frame.path("payload").path("i").asInt()).isEqualTo(next[keyIndex]++);
      expected--;
    }
    assertThat(client.poll(Duration.ofMillis(300))).as("no duplicate").isNull();
  }

  private void assertOneMissedEvents() {
    assertThat(missedEvents).hasSize(1);
    JsonNode payload = missedEvents.get(0).path("payload");
    assertThat(payload.path("reason").asText()).isEqualTo("broker_connection_lost");
    assertThat(payload.path("to").asLong()).isGreaterThanOrEqualTo(payload.path("from").asLong());
  }

  @Test
  void stopping_the_broker_node_moves_the_node_to_a_surviving_one_with_missed_events() throws Exception {
    start();
    TestClient client = subscriber("a", "b", "feed");
    int brokerNode = cluster.nodeOf(broker.nodeQueueAddress().orElseThrow());

    cluster.stopNode(brokerNode);
    long stopped = System.nanoTime();

    long live = millisUntilLive(client, stopped);
    System.out.println("FIGURE cluster_node_stop_node_down_to_client_event_ms=" + live + " ms");
    assertThat(Duration.ofMillis(live)).isLessThan(LIVE_WITHIN);
    assertThat(cluster.nodeOf(broker.nodeQueueAddress().orElseThrow())).isNotEqualTo(brokerNode);
    assertAllDelivered(client, "a", "b");
    assertOneMissedEvents();
    assertThat(server.stats().recoveries()).isEqualTo(1);
  }

  @Test
  void force_closed_connections_reconnect_with_missed_events() throws Exception {
    start();
    TestClient client = subscriber("a", "feed");

    assertThat(cluster.closeConnections(connectionName, "cluster failover test")).isEqualTo(1);
    long closed = System.nanoTime();

    long live = millisUntilLive(client, closed);
    System.out.println("FIGURE cluster_node_close_connection_to_client_event_ms=" + live + " ms");
    assertThat(Duration.ofMillis(live)).isLessThan(LIVE_WITHIN);
    assertAllDelivered(client, "a");
    assertOneMissedEvents();
  }
}
