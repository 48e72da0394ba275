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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several nodes and a publisher-only process on one RabbitMQ, as in production. */
class MultiNodeTest {
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

  private <T extends AutoCloseable> T track(T resource) {
    return closer.track(resource);
  }

  private Myxi myxi(String connectionName) {
    RabbitMqBroker broker = track(RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName).build());
    broker.start();
    return track(app.builder(broker).build());
  }

  private MyxiServer node(String name) {
    MyxiServer node = track(MyxiServer.builder(myxi(name)).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start());
    // Until its queue is declared, Subscribe answers BrokerUnavailable.
    await("node ready").atMost(Duration.ofSeconds(30)).until(node::isReady);
    return node;
  }

  private TestClient subscribed(MyxiServer node, String exchange, String key) {
    TestClient client = track(TestClient.connect(node.port()));
    JsonNode reply = client.call("Subscribe", Map.of("exchange", exchange, "routing_key", key));
    assertThat(reply.path("event").asText()).as(reply.toString()).isEqualTo("Subscribed");
    return client;
  }

  @Test
  void an_event_from_a_publisher_only_process_reaches_both_nodes_exactly_once() {
    MyxiServer nodeA = node("myxi-test-node-a");
    MyxiServer nodeB = node("myxi-test-node-b");
    Myxi publisher = myxi("myxi-test-publisher");
    TestClient onA = subscribed(nodeA, "public", "news");
    TestClient onB = subscribed(nodeB, "public", "news");
    TestClient otherOnA = subscribed(nodeA, "public", "other");

    publisher.pushEvent("public", "news", "Breaking", Map.of("n", 1));
    publisher.pushEvent("public", "other", "Marker", null);
    publisher.pushEvent("public", "news", "Marker", null);

    assertThat(onA.next().path("event").asText()).isEqualTo("Breaking");
    assertThat(onA.next().path("event").asText()).isEqualTo("Marker");
    assertThat(onB.next().path("event").asText()).isEqualTo("Breaking");
    assertThat(onB.next().path("event").asText()).isEqualTo("Marker");
    JsonNode other = otherOnA.next();
    assertThat(other.path("event").asText()).as("never an event it is not subscribed to").isEqualTo("Marker");
    assertThat(other.path("mq").path("rk").asText()).isEqualTo("other");
    assertThat(nodeA.stats().queueName()).isNotEqualTo(nodeB.stats().queueName());
  }

  @Test
  void five_hundred_sessions_on_one_key_cost_one_queue_one_binding_and_one_delivery_per_event() throws Exception {
    MyxiServer node = node("myxi-test-fanout");
    Myxi publisher = myxi("myxi-test-fanout-publisher");
    int sessions = 500;
    List<TestClient> clients = new ArrayList<>();
    ExecutorService connecting = Executors.newFixedThreadPool(8);
    try {
      List<Future<TestClient>> futures = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        futures.add(connecting.submit(() -> subscribedUntracked(node)));
      }
      for (Future<TestClient> future : futures) {
        clients.add(future.get());
      }
    } finally {
      connecting.shutdown();
      clients.forEach(closer::track);
    }
    assertThat(node.stats().subscriptions()).isEqualTo(sessions);
    assertThat(node.stats().bindings()).isEqualTo(1);

    long deliveriesBefore = node.stats().deliveriesReceived();
    long encodedBefore = node.stats().eventsEncoded();
    int events = 5;
    for (int i = 0; i < events; i++) {
      publisher.pushEvent("public", "everyone", "Tick", Map.of("i", i));
    }
    for (TestClient client : clients) {
      for (int i = 0; i < events; i++) {
        JsonNode frame = client.next();
        assertThat(frame.path("payload").path("i").asInt()).isEqualTo(i);
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> node.stats().deliveriesReceived() - deliveriesBefore == events);
    assertThat(node.stats().eventsEncoded() - encodedBefore).as("one JSON encode per event").isEqualTo(events);
    for (TestClient client : clients) {
      assertThat(client.poll(Duration.ZERO)).as("no duplicate").isNull();
    }

    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      String exchange = app.prefix + "public";
      List<String[]> bindings = RabbitMqFixture.bindings().stream().filter(row -> row[0].equals(exchange)).toList();
      assertThat(bindings).hasSize(1);
      assertThat(bindings.get(0)[1]).isEqualTo(node.stats().queueName());
      assertThat(bindings.get(0)[2]).isEqualTo("everyone");
    } else {
      System.out.println("rabbitmqctl unavailable: broker-side binding count not checked (node-side count was)");
    }
  }

  private TestClient subscribedUntracked(MyxiServer node) {
    TestClient client = TestClient.connect(node.port());
    JsonNode reply = client.call("Subscribe", Map.of("exchange", "public", "routing_key", "everyone"));
    if (!"Subscribed".equals(reply.path("event").asText())) {
      throw new AssertionError(reply.toString());
    }
    return client;
  }

  @Test
  void the_last_subscriber_leaving_unbinds_on_the_broker_and_stop_deletes_the_queue() throws Exception {
    MyxiServer node = node("myxi-test-unbind");
    TestClient first = subscribed(node, "public", "k");
    TestClient second = subscribed(node, "public", "k");
    String queue = node.stats().queueName();
    String exchange = app.prefix + "public";
    boolean inspect = RabbitMqFixture.rabbitmqctlAvailable();
    if (inspect) {
      assertThat(RabbitMqFixture.bindings()).anyMatch(row -> row[0].equals(exchange) && row[1].equals(queue) && row[2].equals("k"));
    }
    first.call("Unsubscribe", Map.of("exchange", "public", "routing_key", "k"));
    if (inspect) {
      assertThat(RabbitMqFixture.bindings()).as("still one subscriber").anyMatch(row -> row[0].equals(exchange) && row[1].equals(queue));
    }
    second.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> node.stats().bindings() == 0);
    if (inspect) {
      await().atMost(Duration.ofSeconds(10)).until(() -> RabbitMqFixture.bindings().stream().noneMatch(row -> row[0].equals(exchange)));
      assertThat(RabbitMqFixture.queues()).contains(queue);
    }
    node.stop();
    if (inspect) {
      assertThat(RabbitMqFixture.queues()).doesNotContain(queue);
    } else {
      System.out.println("rabbitmqctl unavailable: queue and binding removal checked only on the node");
    }
  }
}
