package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** History exchanges on a real RabbitMQ: positions on the wire, replay, hand-off, reasons, resume. */
class HistoryTest {
  private String deploys = RabbitMqFixture.unique("deploys");
  private final List<String> streams = new ArrayList<>();
  private final String plain = RabbitMqFixture.unique("plain");
  private final String connectionName = RabbitMqFixture.unique("myxi-history-test");
  private final List<TestClient> clients = new ArrayList<>();
  private RabbitMqBroker broker;
  private Myxi myxi;
  private MyxiServer server;

  @BeforeEach
  void start() {
    startWith(Retention.maxAge(Duration.ofHours(1)), 64L << 20);
  }

  void startWith(Retention retention, long windowBytes) {
    streams.add("myxi.history." + deploys);
    streams.add("myxi.history.secret-" + deploys);
    broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName).recoveryDelay(Duration.ofMillis(100)).build();
    broker.start();
    myxi = Myxi.builder().broker(broker)
        .exchange(deploys, Authorizer.allowAll(), retention)
        .exchange(plain, Authorizer.allowAll())
        .exchange("secret-" + deploys, (session, key) -> false, retention)
        .build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
        .shutdownWindow(Duration.ZERO).historyWindowBytes(windowBytes).build().start();
    await().atMost(Duration.ofSeconds(30)).until(server::isReady);
  }

  @AfterEach
  void stop() throws Exception {
    stopServer();
    try (Connection connection = amqp(); Channel channel = connection.createChannel()) {
      for (String stream : streams) {
        channel.queueDelete(stream);
      }
    }
  }

  private void stopServer() {
    clients.forEach(TestClient::close);
    clients.clear();
    if (server != null) {
      server.stop();
      myxi.close();
      broker.close();
      server = null;
    }
  }

  static Connection amqp() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    return factory.newConnection("myxi-history-test-admin");
  }

  private TestClient connect() {
    TestClient client = TestClient.connect(server.port());
    clients.add(client);
    return client;
  }

  /** Sends Subscribe and returns the frames up to and including its reply (replayed events first). */
  static List<JsonNode> subscribe(TestClient client, Map<String, Object> payload) {
    int tag = client.action("Subscribe", payload);
    List<JsonNode> frames = new ArrayList<>();
    while (true) {
      JsonNode frame = client.next(Duration.ofSeconds(30));
      frames.add(frame);
      if (frame.path("tag").asInt(-1) == tag) {
        return frames;
      }
    }
  }

  static Map<String, Object> position(JsonNode event) {
    return Map.of("o", event.path("mq").path("o").asLong(), "t", event.path("mq").path("t").asText());
  }

  private void push(String key, int n) {
    myxi.pushEvent(deploys, key, "Line", Map.of("n", n));
  }

  @Test
  void events_of_a_history_exchange_carry_their_position_and_others_do_not() {
    TestClient client = connect();
    JsonNode first = subscribe(client, Map.of("exchange", deploys, "routing_key", "a")).get(0);
    assertThat(first.path("event").asText()).isEqualTo("Subscribed");
    subscribe(client, Map.of("exchange", plain, "routing_key", "a"));
    push("a", 1);
    myxi.pushEvent(plain, "a", "Plain", Map.of());
    JsonNode event = client.nextEvent("Line");
    assertThat(event.path("mq").path("e").asText()).isEqualTo(deploys);
    assertThat(event.path("mq").path("rk").asText()).isEqualTo("a");
    assertThat(event.path("mq").path("o").isIntegralNumber()).isTrue();
    assertThat(event.path("mq").path("t").asText()).matches("[0-9a-f]{16}");
    JsonNode plainEvent = client.nextEvent("Plain");
    assertThat(plainEvent.path("mq").has("o")).isFalse();
    assertThat(plainEvent.path("mq").has("t")).isFalse();
    // Once the node has read an event, Subscribed tells a new subscriber where it starts.
    JsonNode later = subscribe(client, Map.of("exchange", deploys, "routing_key", "b")).get(0);
    assertThat(later.path("payload").path("position").path("o").asLong()).isEqualTo(event.path("mq").path("o").asLong());
    assertThat(later.path("payload").path("position").path("t").asText()).isEqualTo(event.path("mq").path("t").asText());
  }

  @Test
  void a_resubscribe_with_positions_replays_what_was_missed_exactly_once_in_order_then_goes_live() {
    TestClient first = connect();
    subscribe(first, Map.of("exchange", deploys, "routing_keys", List.of("a", "b")));
    push("a", 0);
    push("b", 0);
    Map<String, Object> since = new HashMap<>();
    since.put("a", position(first.nextEvent("Line")));
    since.put("b", position(first.nextEvent("Line")));
    first.close();
    for (int n = 1; n <= 20; n++) {
      push("a", n);
      push("b", n);
      push("c", n);
    }
    TestClient second = connect();
    List<JsonNode> frames = subscribe(second, Map.of("exchange", deploys, "routing_keys", List.of("a", "b"), "since", since));
    // The replies of a routing_keys batch come one per key; the replay of each precedes its reply.
    frames.addAll(untilTag(second, frames.get(frames.size() - 1).path("tag").asInt(), countReplies(frames)));
    Map<String, List<Integer>> seen = new LinkedHashMap<>();
    List<JsonNode> replies = new ArrayList<>();
    for (JsonNode frame : frames) {
      if (frame.path("event").asText().equals("Line")) {
        seen.computeIfAbsent(frame.path("mq").path("rk").asText(), k -> new ArrayList<>()).add(frame.path("payload").path("n").asInt());
      } else {
        replies.add(frame);
      }
    }
    assertThat(replies).hasSize(2).allSatisfy(reply -> {
      assertThat(reply.path("event").asText()).isEqualTo("Subscribed");
      assertThat(reply.path("payload").path("recovered").asBoolean()).isTrue();
    });
    List<Integer> expected = new ArrayList<>();
    for (int n = 1; n <= 20; n++) {
      expected.add(n);
    }
    assertThat(seen).containsOnlyKeys("a", "b");
    assertThat(seen.get("a")).isEqualTo(expected);
    assertThat(seen.get("b")).isEqualTo(expected);
    push("a", 21);
    assertThat(second.nextEvent("Line").path("payload").path("n").asInt()).isEqualTo(21);
    assertThat(second.poll(Duration.ofMillis(200))).isNull();
  }

  private static int countReplies(List<JsonNode> frames) {
    int replies = 0;
    for (JsonNode frame : frames) {
      if (frame.has("tag")) {
        replies++;
      }
    }
    return replies;
  }

  /** Frames until the second reply with {@code tag} (the first was already taken). */
  private static List<JsonNode> untilTag(TestClient client, int tag, int alreadySeen) {
    List<JsonNode> frames = new ArrayList<>();
    int replies = alreadySeen;
    while (replies < 2) {
      JsonNode frame = client.next(Duration.ofSeconds(30));
      frames.add(frame);
      if (frame.path("tag").asInt(-1) == tag) {
        replies++;
      }
    }
    return frames;
  }

  @Test
  void the_hand_off_from_replay_to_live_has_no_gap_and_no_duplicate_while_publishing_goes_on() throws Exception {
    TestClient first = connect();
    subscribe(first, Map.of("exchange", deploys, "routing_key", "k"));
    push("k", 0);
    Map<String, Object> since = position(first.nextEvent("Line"));
    first.close();
    AtomicBoolean publishing = new AtomicBoolean(true);
    AtomicInteger published = new AtomicInteger();
    Thread publisher = new Thread(() -> {
      while (publishing.get()) {
        push("k", published.incrementAndGet());
      }
    });
    publisher.start();
    await().until(() -> published.get() > 100);
    TestClient second = connect();
    List<JsonNode> frames = subscribe(second, Map.of("exchange", deploys, "routing_key", "k", "since", since));
    JsonNode reply = frames.get(frames.size() - 1);
    assertThat(reply.path("payload").path("recovered").asBoolean()).as(reply.toString()).isTrue();
    await().until(() -> published.get() > 300);
    publishing.set(false);
    publisher.join();
    int last = published.get();
    List<Integer> numbers = new ArrayList<>();
    for (JsonNode frame : frames) {
      if (frame.path("event").asText().equals("Line")) {
        numbers.add(frame.path("payload").path("n").asInt());
      }
    }
    while (numbers.isEmpty() || numbers.get(numbers.size() - 1) < last) {
      numbers.add(second.nextEvent("Line").path("payload").path("n").asInt());
    }
    List<Integer> expected = new ArrayList<>();
    for (int n = 1; n <= last; n++) {
      expected.add(n);
    }
    assertThat(numbers).isEqualTo(expected);
  }

  @Test
  void a_position_from_a_stream_deleted_and_created_again_is_not_recovered_with_reason_epoch() throws Exception {
    TestClient first = connect();
    subscribe(first, Map.of("exchange", deploys, "routing_key", "k"));
    for (int n = 0; n < 5; n++) {
      push("k", n);
    }
    JsonNode old = null;
    for (int n = 0; n < 5; n++) {
      old = first.nextEvent("Line");
    }
    try (Connection connection = amqp(); Channel channel = connection.createChannel()) {
      channel.queueDelete("myxi.history." + deploys);
    }
    // Publishing goes on into a new stream (the publisher declares it again); the node follows it.
    // RabbitMQ 3.10 may close the publishing connection (541 INTERNAL_ERROR) when a stream it wrote
    // to is deleted: the first publish then fails with a PublishException (nothing stored, nothing
    // reported as confirmed) and the next one goes out on a new connection.
    try {
      push("k", 100);
    } catch (io.myxi.PublishException brokerClosedThePublisher) {
      push("k", 100);
    }
    for (int n = 101; n < 110; n++) {
      push("k", n);
    }
    assertThat(first.nextEvent("Line").path("payload").path("n").asInt()).isGreaterThanOrEqualTo(100);
    TestClient second = connect();
    List<JsonNode> frames = subscribe(second, Map.of("exchange", deploys, "routing_key", "k", "since", position(old)));
    assertThat(frames).hasSize(1);
    assertThat(frames.get(0).path("payload").path("recovered").asBoolean()).isFalse();
    assertThat(frames.get(0).path("payload").path("reason").asText()).isEqualTo("epoch");
    push("k", 200);
    assertThat(second.nextEvent("Line").path("payload").path("n").asInt()).isEqualTo(200);
  }

  @Test
  void a_position_older_than_the_retention_is_not_recovered_with_reason_too_old() throws Exception {
    stopServer();
    deploys = RabbitMqFixture.unique("deploys-small");
    startWith(Retention.maxBytes(20_000), 0);
    TestClient first = connect();
    subscribe(first, Map.of("exchange", deploys, "routing_key", "k"));
    push("k", 0);
    Map<String, Object> since = position(first.nextEvent("Line"));
    String filler = "x".repeat(400);
    for (int n = 1; n <= 300; n++) {
      myxi.pushEvent(deploys, "other", "Filler", Map.of("text", filler));
    }
    TestClient second = connect();
    List<JsonNode> frames = subscribe(second, Map.of("exchange", deploys, "routing_key", "k", "since", since));
    JsonNode reply = frames.get(frames.size() - 1);
    assertThat(reply.path("payload").path("recovered").asBoolean()).isFalse();
    assertThat(reply.path("payload").path("reason").asText()).isEqualTo("too_old");
  }

  /**
   * A read shared by two recoveries, one of which starts further back, passes events the other's
   * client already has: they must not be sent to it again. Key a resumes at a position inside a
   * read kept from an earlier recovery (so it is checked at once); key b, in the same Subscribe,
   * resumes further back, so one read starts at b's position and passes a's old events.
   */
  @Test
  void a_read_shared_with_an_older_position_sends_nothing_at_or_before_the_newer_one() throws Exception {
    stopServer();
    deploys = RabbitMqFixture.unique("deploys-shared");
    startWith(Retention.maxAge(Duration.ofHours(1)), 0); // no window: every recovery reads the stream
    TestClient watcher = connect();
    subscribe(watcher, Map.of("exchange", deploys, "routing_keys", List.of("a", "b", "x")));
    Map<String, Map<String, Object>> positions = new HashMap<>();
    for (String event : List.of("b0", "x0", "a0", "a1", "x1")) {
      push(event.substring(0, 1), Integer.parseInt(event.substring(1)));
      positions.put(event, position(watcher.nextEvent("Line")));
    }
    // An earlier recovery of x keeps what it read, from x0 to x1 (a0 and a1 included).
    List<JsonNode> earlier = subscribe(connect(), Map.of("exchange", deploys, "routing_key", "x", "since", positions.get("x0")));
    assertThat(earlier.get(earlier.size() - 1).path("payload").path("recovered").asBoolean()).isTrue();
    push("b", 1);
    push("x", 2);
    watcher.nextEvent("Line");
    watcher.nextEvent("Line");

    TestClient client = connect();
    Map<String, Object> since = Map.of("a", positions.get("a1"), "b", positions.get("b0"));
    int tag = client.action("Subscribe", Map.of("exchange", deploys, "routing_keys", List.of("a", "b"), "since", since));
    List<String> replayed = new ArrayList<>();
    int replies = 0;
    while (replies < 2) {
      JsonNode frame = client.next(Duration.ofSeconds(30));
      if (frame.path("tag").asInt(-1) == tag) {
        assertThat(frame.path("payload").path("recovered").asBoolean()).as(frame.toString()).isTrue();
        replies++;
      } else if (frame.path("event").asText().equals("Line")) {
        replayed.add(frame.path("mq").path("rk").asText() + frame.path("payload").path("n").asInt());
      }
    }
    assertThat(replayed).as("a0 and a1 are at or before a's position").containsExactly("b1");
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void since_on_an_exchange_without_history_says_no_history_and_denied_keys_replay_nothing() {
    TestClient client = connect();
    JsonNode reply = client.call("Subscribe", Map.of("exchange", plain, "routing_key", "k", "since", Map.of("o", 1, "t", "x")));
    assertThat(reply.path("event").asText()).isEqualTo("Subscribed");
    assertThat(reply.path("payload").path("recovered").asBoolean()).isFalse();
    assertThat(reply.path("payload").path("reason").asText()).isEqualTo("no_history");
    myxi.pushEvent("secret-" + deploys, "k", "Secret", Map.of());
    JsonNode denied = client.call("Subscribe", Map.of("exchange", "secret-" + deploys, "routing_key", "k", "since", Map.of("o", 0, "t", "x")));
    assertThat(denied.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void after_the_broker_closes_the_nodes_connection_it_resumes_the_stream_without_missed_events() throws Exception {
    TestClient client = connect();
    subscribe(client, Map.of("exchange", deploys, "routing_key", "k"));
    push("k", 0);
    assertThat(client.nextEvent("Line").path("payload").path("n").asInt()).isZero();
    long reconnects = broker.reconnects();
    assertThat(RabbitMqFixture.closeConnections(connectionName, "history test")).isPositive();
    // Published while the node is away: the publisher has a connection of its own.
    for (int n = 1; n <= 20; n++) {
      push("k", n);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> broker.reconnects() > reconnects);
    for (int n = 21; n <= 30; n++) {
      push("k", n);
    }
    List<Integer> numbers = new ArrayList<>();
    while (numbers.size() < 30) {
      JsonNode frame = client.next(Duration.ofSeconds(20));
      assertThat(frame.path("event").asText()).as(frame.toString()).isEqualTo("Line");
      numbers.add(frame.path("payload").path("n").asInt());
    }
    List<Integer> expected = new ArrayList<>();
    for (int n = 1; n <= 30; n++) {
      expected.add(n);
    }
    assertThat(numbers).isEqualTo(expected);
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
  }
}
