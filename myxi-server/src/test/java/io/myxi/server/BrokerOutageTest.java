package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.Myxi;
import io.myxi.PublishException;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.FixedRate;
import io.myxi.testing.LogCapture;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TcpProxy;
import io.myxi.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Broker faults seen from the WebSocket side (issue 4, items 1 to 6): sessions stay open, the node
 * reports not ready, Subscribe answers BrokerUnavailable, and after recovery every session gets
 * MissedEvents and every event published afterwards.
 */
class BrokerOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final String connectionName = RabbitMqFixture.unique("myxi-outage-test");
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private TestApp app;
  private RabbitMqBroker broker;
  private RabbitMqBroker publisherBroker;
  private Myxi myxi;
  private Myxi publisher;
  private MyxiServer server;
  private TcpProxy proxy;

  private void start(String uri, RabbitMqBroker.Builder settings) {
    app = new TestApp();
    broker = settings.uri(uri).connectionName(connectionName).build();
    broker.start();
    myxi = app.builder(broker).publishTimeout(Duration.ofSeconds(2)).build();
    // Publishing from "another process": its own broker connection, never through the proxy.
    publisherBroker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName + "-app").build();
    publisher = app.builder(publisherBroker).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start();
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
    if (proxy != null) {
      proxy.close();
    }
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

  private static JsonNode nextEvent(TestClient client, String event) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode frame = client.next(WAIT);
      if (frame.path("event").asText().equals(event)) {
        return frame;
      }
    }
    throw new AssertionError("no " + event);
  }

  /** Publishes a numbered run of events on the keys; every client must get each of its keys' in order. */
  private void assertAllDelivered(List<TestClient> clients, String... keys) {
    String run = Long.toString(System.nanoTime());
    for (int i = 0; i < 20; i++) {
      for (String key : keys) {
        publisher.pushEvent("public", key, "Numbered", Map.of("run", run, "i", i, "key", key));
      }
    }
    for (TestClient client : clients) {
      int[] next = new int[keys.length];
      int expected = 20 * keys.length;
      while (expected > 0) {
        JsonNode frame = client.next(WAIT);
        if (!frame.path("event").asText().equals("Numbered") || !frame.path("payload").path("run").asText().equals(run)) {
          continue; // Events of the outage window, MissedEvents...
        }
        int keyIndex = List.of(keys).indexOf(frame.path("payload").path("key").asText());
        assertThat(frame.path("payload").path("i").asInt()).isEqualTo(next[keyIndex]++);
        expected--;
      }
    }
  }

  private void assertMissedEvents(JsonNode missed, long outageStartedMillis) {
    assertThat(missed.has("tag")).isFalse();
    JsonNode payload = missed.path("payload");
    assertThat(payload.path("reason").asText()).isEqualTo("broker_connection_lost");
    assertThat(payload.path("from").asLong()).isBetween(outageStartedMillis - 5000, System.currentTimeMillis());
    assertThat(payload.path("to").asLong()).isGreaterThanOrEqualTo(payload.path("from").asLong()).isLessThanOrEqualTo(System.currentTimeMillis());
  }

  private void assertBindingsOnBroker(String... keys) throws Exception {
    if (!RabbitMqFixture.rabbitmqctlAvailable()) {
      return;
    }
    await("bindings restored on the broker").atMost(WAIT).untilAsserted(() -> {
      String queue = server.stats().queueName();
      List<String> bound = RabbitMqFixture.bindings().stream()
          .filter(row -> row[0].equals(app.prefix + "public") && row[1].equals(queue))
          .map(row -> row[2]).toList();
      assertThat(bound).containsExactlyInAnyOrder(keys);
    });
  }

  /**
   * Publishes a numbered event every 20 ms from the healthy publisher and returns when {@code
   * client} got the first one after {@code backAtNanos}: the time from broker back to first
   * delivery.
   */
  private long millisToFirstDelivery(TestClient client, String key, AtomicLong backAtNanos, Runnable bringBack) throws Exception {
    AtomicInteger sequence = new AtomicInteger();
    try (FixedRate feeder = FixedRate.start(Duration.ofMillis(20), run -> {
      try {
        publisher.pushEvent("public", key, "Feed", Map.of("i", sequence.getAndIncrement()));
      } catch (RuntimeException e) {
        // The broker may still be away: keep feeding.
      }
    })) {
      bringBack.run();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        JsonNode frame = client.next(WAIT);
        if (frame.path("event").asText().equals("Feed") && System.nanoTime() > backAtNanos.get()) {
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - backAtNanos.get());
        }
      }
      throw new AssertionError("no delivery after the broker came back");
    }
  }

  @Test
  void network_outage_keeps_sessions_reports_not_ready_and_recovers_with_missed_events() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    start(proxy.amqpUri(), RabbitMqBroker.builder());
    await().atMost(WAIT).until(server::isReady);
    TestClient first = subscriber("a", "b", "c");
    TestClient second = subscriber("b", "feed");
    String queueBefore = server.stats().queueName();

    long outageStarted = System.currentTimeMillis();
    proxy.rejectNew(true);
    proxy.cutAll();

    await("not ready while the broker is away").atMost(WAIT).until(() -> !server.isReady());
    assertThat(server.stats().brokerConnected()).isFalse();
    JsonNode refused = first.call("Subscribe", Map.of("exchange", "public", "routing_key", "during"));
    assertThat(refused.path("payload").path("error").asText()).isEqualTo("BrokerUnavailable");
    assertThat(first.call("Ping", null).path("event").asText()).as("sessions stay open and served").isEqualTo("Pong");
    assertThatThrownBy(() -> myxi.pushEvent("public", "a", "Lost", null)).isInstanceOf(PublishException.class);
    // An outage long enough for three refused reconnects, so the backoff has grown as it would.
    int acceptedBefore = proxy.accepted();
    await("three refused reconnects").atMost(WAIT).until(() -> proxy.accepted() >= acceptedBefore + 3);

    AtomicLong backAt = new AtomicLong();
    long figure = millisToFirstDelivery(second, "feed", backAt, () -> {
      backAt.set(System.nanoTime());
      proxy.rejectNew(false);
    });
    System.out.println("FIGURE network_outage_broker_back_to_first_delivery_ms=" + figure
        + " ms (default backoff 500 ms doubling to 30 s, outage of three refused reconnects)");

    await().atMost(WAIT).until(server::isReady);
    assertMissedEvents(nextEvent(first, "MissedEvents"), outageStarted);
    assertThat(server.stats().queueName()).isNotEqualTo(queueBefore);
    assertBindingsOnBroker("a", "b", "c", "feed");
    assertAllDelivered(List.of(first), "a", "b", "c");
    assertAllDelivered(List.of(second), "b");
    assertThat(first.isClosed()).isFalse();
    assertThat(server.stats().recoveries()).isEqualTo(1);
  }

  @Test
  void force_closed_connection_recovers_with_missed_events_and_all_bindings() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    start(RabbitMqFixture.uri(), RabbitMqBroker.builder());
    await().atMost(WAIT).until(server::isReady);
    TestClient client = subscriber("x", "y", "feed");

    long outageStarted = System.currentTimeMillis();
    // The moment the node notices the loss; rabbitmqctl itself takes a second or two to start.
    AtomicLong lostAt = new AtomicLong();
    Thread watcher = new Thread(() -> {
      while (lostAt.get() == 0 && !Thread.currentThread().isInterrupted()) {
        if (!server.isReady()) {
          lostAt.set(System.nanoTime());
        }
        Thread.onSpinWait();
      }
    }, "test-readiness-watcher");
    watcher.setDaemon(true);
    watcher.start();
    long figure = millisToFirstDelivery(client, "feed", lostAt, () -> {
      try {
        assertThat(RabbitMqFixture.closeConnections(connectionName, "outage test")).isEqualTo(1);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      await("the node noticed").atMost(WAIT).until(() -> lostAt.get() != 0);
    });
    watcher.interrupt();
    System.out.println("FIGURE force_close_noticed_to_first_delivery_ms=" + figure + " ms (default backoff, first retry after 250-500 ms)");

    assertMissedEvents(nextEvent(client, "MissedEvents"), outageStarted);
    await().atMost(WAIT).until(server::isReady);
    assertBindingsOnBroker("x", "y", "feed");
    assertAllDelivered(List.of(client), "x", "y");
  }

  @Test
  void silent_partition_is_noticed_by_heartbeats_and_recovered() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    start(proxy.amqpUri(), RabbitMqBroker.builder().heartbeat(Duration.ofSeconds(1)).recoveryDelay(Duration.ofMillis(200)));
    await().atMost(WAIT).until(server::isReady);
    TestClient client = subscriber("s");
    long outageStarted = System.currentTimeMillis();

    proxy.blackhole();
    long started = System.nanoTime();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> !server.isReady());
    System.out.println("FIGURE silent_partition_not_ready_after_ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms (heartbeat 1 s)");
    proxy.heal();

    assertMissedEvents(nextEvent(client, "MissedEvents"), outageStarted);
    await().atMost(WAIT).until(server::isReady);
    assertAllDelivered(List.of(client), "s");
  }

  @Test
  void absent_broker_at_start_the_node_starts_says_why_and_subscribe_answers_broker_unavailable() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    proxy.rejectNew(true);
    try (LogCapture logs = LogCapture.start()) {
      start(proxy.amqpUri(), RabbitMqBroker.builder().recoveryDelay(Duration.ofMillis(200)).maxRecoveryDelay(Duration.ofSeconds(1)));
      TestClient client = TestClient.connect(server.port());
      closeables.add(client);
      assertThat(server.isReady()).isFalse();
      JsonNode refused = client.call("Subscribe", Map.of("exchange", "public", "routing_key", "early"));
      assertThat(refused.path("payload").path("error").asText()).isEqualTo("BrokerUnavailable");
      assertThat(refused.path("payload").path("routing_key").asText()).isEqualTo("early");
      await().atMost(WAIT).until(() -> logs.text().contains("Waiting for RabbitMQ at amqp://guest:***@127.0.0.1:" + proxy.port()));

      proxy.rejectNew(false);

      await().atMost(WAIT).until(server::isReady);
      assertThat(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "early")).path("event").asText()).isEqualTo("Subscribed");
      assertAllDelivered(List.of(client), "early");
      assertThat(logs.text()).contains("Connected to RabbitMQ at amqp://guest:***@127.0.0.1:" + proxy.port());
    }
  }

  @Test
  void queue_deleted_under_the_node_is_restored_with_missed_events() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    start(RabbitMqFixture.uri(), RabbitMqBroker.builder());
    await().atMost(WAIT).until(server::isReady);
    TestClient client = subscriber("q1", "q2");
    String queue = server.stats().queueName();
    long outageStarted = System.currentTimeMillis();

    assertThat(RabbitMqFixture.rabbitmqctl("delete_queue", queue).exitCode()).isZero();

    assertMissedEvents(nextEvent(client, "MissedEvents"), outageStarted);
    await().atMost(WAIT).until(() -> server.isReady() && !queue.equals(server.stats().queueName()));
    assertBindingsOnBroker("q1", "q2");
    assertAllDelivered(List.of(client), "q1", "q2");
  }

  @Test
  void memory_alarm_fails_push_event_in_time_while_websocket_work_goes_on() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    start(RabbitMqFixture.uri(), RabbitMqBroker.builder());
    await().atMost(WAIT).until(server::isReady);
    TestClient client = subscriber("m");
    myxi.pushEvent("public", "m", "Before", null);
    assertThat(client.next(WAIT).path("event").asText()).isEqualTo("Before");

    RabbitMqFixture.withMemoryAlarm(() -> {
      long started = System.nanoTime();
      assertThatThrownBy(() -> myxi.pushEvent("public", "m", "During", null))
          .isInstanceOf(PublishException.class)
          .hasMessageMatching(".*(blocking publishers|no confirm within 2000 ms).*");
      long failedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.println("FIGURE memory_alarm_push_event_failed_after_ms=" + failedAfter + " ms (publishTimeout 2000 ms)");
      assertThat(failedAfter).isLessThan(2000 + 3000);
      // WebSocket work does not wait for the broker's publishers: replies and bindings go on.
      long pingStarted = System.nanoTime();
      assertThat(client.call("Ping", null).path("event").asText()).isEqualTo("Pong");
      assertThat(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "m2")).path("event").asText()).isEqualTo("Subscribed");
      System.out.println("FIGURE memory_alarm_ping_and_subscribe_ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pingStarted) + " ms");
    });

    await("publishing accepted again").atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      myxi.pushEvent("public", "m", "After", null);
      return true;
    });
    assertThat(nextEvent(client, "After")).isNotNull();
    assertAllDelivered(List.of(client), "m", "m2");
  }

  @Test
  void poison_and_odd_deliveries_are_dropped_counted_and_logged_and_later_events_flow() throws Exception {
    start(RabbitMqFixture.uri(), RabbitMqBroker.builder());
    await().atMost(WAIT).until(server::isReady);
    TestClient client = subscriber("p");
    String exchange = app.prefix + "public";
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    try (LogCapture logs = LogCapture.start();
        Connection connection = factory.newConnection(connectionName + "-poison");
        Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      AMQP.BasicProperties plain = new AMQP.BasicProperties();
      channel.basicPublish(exchange, "p", plain, "not json at all".getBytes(StandardCharsets.UTF_8));
      channel.basicPublish(exchange, "p", plain, "[1,2,3]".getBytes(StandardCharsets.UTF_8));
      channel.basicPublish(exchange, "p", plain, "{\"event\":42}".getBytes(StandardCharsets.UTF_8));
      channel.basicPublish(exchange, "p", plain, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
      channel.basicPublish(exchange, "p", plain, ("{\"event\":\"Huge\",\"payload\":\"" + "h".repeat(2 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8));
      channel.basicPublish(exchange, "p", plain, ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8));
      // Routed to the node by the CC header, but under a key no session here subscribes to.
      channel.basicPublish(exchange, "nobody-here", new AMQP.BasicProperties.Builder().headers(Map.of("CC", List.of("p"))).build(),
          "{\"event\":\"Stray\",\"payload\":{}}".getBytes(StandardCharsets.UTF_8));
      // Straight into the node's queue through the default exchange: an exchange nobody registered.
      channel.basicPublish("", server.stats().queueName(), plain, "{\"event\":\"Direct\",\"payload\":{}}".getBytes(StandardCharsets.UTF_8));
      channel.waitForConfirmsOrDie(10_000);

      publisher.pushEvent("public", "p", "Fine", Map.of("ok", true));
      JsonNode fine = client.next(WAIT);
      assertThat(fine.path("event").asText()).as("nothing of the poison reached the client").isEqualTo("Fine");
      await().atMost(WAIT).untilAsserted(() -> assertThat(server.stats().deliveriesDropped())
          .containsEntry("invalid_body", 5L)
          .containsEntry("too_large", 1L)
          .containsEntry("no_subscribers", 1L)
          .containsEntry("unknown_exchange", 1L));
      assertThat(logs.lines().stream().filter(line -> line.contains("Dropped a delivery"))).hasSize(8);
    }
    assertAllDelivered(List.of(client), "p");
  }
}
