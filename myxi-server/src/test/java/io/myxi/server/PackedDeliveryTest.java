package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.Closer;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes and a publisher, all with packed publishing and routing buckets: every client gets
 * the events of its own key once and in order, never those of a key sharing its bucket, and an
 * unsubscribed key stops at once although its bucket stays bound.
 */
class PackedDeliveryTest {
  private static final int BUCKETS = 4;
  private final TestApp app = new TestApp();
  private final Closer closer = new Closer();

  @BeforeEach
  void requireBroker() {
    RabbitMqFixture.uri();
  }

  @AfterEach
  void closeAll() throws Exception {
    closer.close();
  }

  private Myxi myxi(String connectionName) {
    RabbitMqBroker broker = closer.track(RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName)
        .packedPublishing(Duration.ofMillis(1)).routingBuckets(BUCKETS).build());
    broker.start();
    return closer.track(app.builder(broker).build());
  }

  private MyxiServer node(String name) {
    MyxiServer node = closer.track(MyxiServer.builder(myxi(name)).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
        .shutdownWindow(Duration.ZERO).build().start());
    await("node ready").atMost(Duration.ofSeconds(30)).until(node::isReady);
    return node;
  }

  private TestClient subscribed(MyxiServer node, String key) {
    TestClient client = closer.track(TestClient.connect(node.port()));
    JsonNode reply = client.call("Subscribe", Map.of("exchange", "public", "routing_key", key));
    assertThat(reply.path("event").asText()).as(reply.toString()).isEqualTo("Subscribed");
    return client;
  }

  @Test
  void each_client_gets_its_own_keys_events_once_in_order_across_two_nodes() throws Exception {
    MyxiServer nodeA = node("myxi-test-packed-a");
    MyxiServer nodeB = node("myxi-test-packed-b");
    Myxi publisher = myxi("myxi-test-packed-publisher");
    int keys = 24; // Six keys a bucket: every bucket carries keys of both nodes.
    List<TestClient> clients = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      clients.add(subscribed(k % 2 == 0 ? nodeA : nodeB, "user-" + k));
    }
    int perKey = 50;
    List<CompletableFuture<Void>> confirms = new ArrayList<>();
    for (int n = 0; n < perKey; n++) {
      for (int k = 0; k < keys; k++) {
        confirms.add(publisher.pushEventAsync("public", "user-" + k, "Note", Map.of("k", k, "n", n)));
      }
    }
    CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (int k = 0; k < keys; k++) {
      for (int n = 0; n < perKey; n++) {
        JsonNode event = clients.get(k).next();
        assertThat(event.path("mq").path("rk").asText()).isEqualTo("user-" + k);
        assertThat(event.path("payload").path("n").asInt()).as("order of user-%d", k).isEqualTo(n);
      }
    }
    for (int k = 0; k < keys; k++) {
      publisher.pushEvent("public", "user-" + k, "Marker", null);
      assertThat(clients.get(k).next().path("event").asText()).as("nothing more than its own events").isEqualTo("Marker");
    }
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      long bound = RabbitMqFixture.bindings().stream().filter(row -> row[0].equals(app.prefix + "public")).count();
      assertThat(bound).as("bindings of the exchange: at most one per bucket and node").isLessThanOrEqualTo(2L * BUCKETS);
    }
  }

  @Test
  void an_unsubscribed_key_gets_nothing_more_while_its_bucket_stays_bound_for_another() {
    MyxiServer node = node("myxi-test-packed-unsub");
    Myxi publisher = myxi("myxi-test-packed-unsub-publisher");
    TestClient stays = subscribed(node, "stays");
    TestClient leaves = subscribed(node, "leaves");
    JsonNode reply = leaves.call("Unsubscribe", Map.of("exchange", "public", "routing_key", "leaves"));
    assertThat(reply.path("event").asText()).as(reply.toString()).isEqualTo("Unsubscribed");
    publisher.pushEvent("public", "leaves", "Late", null);
    publisher.pushEvent("public", "stays", "Marker", null);
    assertThat(stays.next().path("event").asText()).isEqualTo("Marker");
    leaves.call("Subscribe", Map.of("exchange", "public", "routing_key", "other"));
    publisher.pushEvent("public", "other", "Marker", null);
    assertThat(leaves.next().path("event").asText()).as("not the event of the key it left").isEqualTo("Marker");
  }
}
