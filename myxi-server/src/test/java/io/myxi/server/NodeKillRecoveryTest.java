package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10's first bar: a node is killed with SIGKILL while 2,000 sessions on 200 keys of a history
 * exchange receive 500 events/s. The clients reconnect to another node with their last positions
 * and each gets every event of its key published meanwhile, exactly once and in order, with
 * {@code recovered: true}, then continues live. The broker bytes read for the whole recovery stay
 * within 1.5 × the bytes of the missed events however many clients recover: once with the surviving
 * node reading the stream ({@code historyWindowBytes(0)}), once with its window of recent events
 * (no broker read at all). Figures go to {@code target/history-figures.jsonl} and as FIGURE lines.
 */
class NodeKillRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int SESSIONS = 2_000;
  private static final int KEYS = 200;
  /** 500 events/s. */
  private static final Duration PERIOD = Duration.ofMillis(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "survivor window {0} bytes")
  @ValueSource(longs = {0, 64L << 20})
  void sessions_of_a_killed_node_resume_on_another_node_exactly_once(long windowBytes) throws Exception {
    String prefix = RabbitMqFixture.unique("killrec") + ".";
    String exchange = "deploys";
    String stream = "myxi.history." + prefix + exchange;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), ChildNode.class.getName(),
        RabbitMqFixture.uri(), prefix, RabbitMqFixture.unique("myxi-killrec-child"), exchange).redirectErrorStream(true).start();
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      keys.add("deploy-" + k);
    }
    List<TestClient> sockets = new ArrayList<>();
    Retention retention = Retention.maxAge(Duration.ofHours(1));
    try (RabbitMqBroker survivorBroker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-killrec-survivor")).build();
        Myxi survivorMyxi = Myxi.builder().broker(survivorBroker).exchangePrefix(prefix).exchange(exchange, Authorizer.allowAll(), retention).build();
        MyxiServer survivor = MyxiServer.builder(survivorMyxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
            .shutdownWindow(Duration.ZERO).historyWindowBytes(windowBytes).build().start();
        RabbitMqBroker appBroker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-killrec-app")).build();
        Myxi app = Myxi.builder().broker(appBroker).exchangePrefix(prefix).exchange(exchange, Authorizer.allowAll(), retention).build();
        NumberedFeed feed = new NumberedFeed(app, exchange, keys, 120)) {
      int childPort = NodeKillTest.readyPort(child);
      await().atMost(WAIT).until(survivor::isReady);

      // 2,000 sessions on the node to be killed, 10 per key.
      List<FeedReceiver> receivers = new ArrayList<>();
      int[] tags = new int[SESSIONS];
      for (int i = 0; i < SESSIONS; i++) {
        TestClient socket = TestClient.connect(childPort);
        sockets.add(socket);
        receivers.add(new FeedReceiver(List.of(keys.get(i % KEYS))));
        tags[i] = socket.action("Subscribe", Map.of("exchange", exchange, "routing_key", keys.get(i % KEYS)));
      }
      for (int i = 0; i < SESSIONS; i++) {
        JsonNode reply = sockets.get(i).nextWithTag(tags[i]);
        assertThat(reply.path("event").asText()).as(reply.toString()).isEqualTo("Subscribed");
      }

      feed.start(PERIOD);
      // Live on the first node: every session has an event with its position, and a few seconds go by.
      await("every session live on the first node").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> {
        drain(sockets, receivers, feed);
        return feed.published() >= 1_500 && receivers.stream().allMatch(r -> !r.positions().isEmpty());
      });

      long killedAt = System.nanoTime();
      int publishedAtKill = feed.published();
      child.destroyForcibly(); // SIGKILL: no goodbye to the clients or to RabbitMQ
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (TestClient socket : sockets) {
        socket.awaitClose(WAIT);
      }
      drain(sockets, receivers, feed);

      // Every client reconnects to the surviving node with its last position.
      long readBefore = survivorBroker.historyReadBytes();
      long[] figuresBefore = survivor.historyFigures(exchange);
      long reconnectStart = System.nanoTime();
      List<TestClient> second = new ArrayList<>();
      List<Map<String, Object>> sentSince = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        TestClient socket = TestClient.connect(survivor.port());
        second.add(socket);
        String key = keys.get(i % KEYS);
        sentSince.add(receivers.get(i).position(key));
        tags[i] = socket.action("Subscribe", Map.of("exchange", exchange, "routing_key", key, "since", sentSince.get(i)));
      }
      sockets.addAll(second);
      // Replayed events arrive before each Subscribed reply; count each distinct one once for the bytes missed.
      Set<String> replayed = new HashSet<>();
      long missedBytes = 0;
      int recovered = 0;
      for (int i = 0; i < SESSIONS; i++) {
        while (true) {
          JsonNode frame = second.get(i).next(WAIT);
          if (frame.path("tag").asInt(-1) == tags[i]) {
            assertThat(frame.path("event").asText()).as(frame.toString()).isEqualTo("Subscribed");
            assertThat(frame.path("payload").path("recovered").asBoolean()).as(frame.toString()).isTrue();
            recovered++;
            break;
          }
          if (receivers.get(i).absorb(frame, feed)) {
            String id = frame.path("payload").path("key").asText() + "#" + frame.path("payload").path("seq").asInt();
            if (replayed.add(id)) {
              missedBytes += storedBody(frame).length;
            }
          }
        }
      }
      long reconnectedAt = System.nanoTime();
      long read = survivorBroker.historyReadBytes() - readBefore;
      long[] figures = survivor.historyFigures(exchange);

      // Live on the surviving node for a moment, then every confirmed event must have arrived.
      long liveFrom = System.nanoTime();
      receivers.forEach(r -> r.watchLiveAfter(liveFrom));
      await("live on the surviving node").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> {
        drain(second, receivers, feed);
        return receivers.stream().allMatch(r -> r.liveAfterMillis() >= 0);
      });
      feed.stop(WAIT);
      await("every confirmed event at every client").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> {
        drain(second, receivers, feed);
        return receivers.stream().allMatch(r -> r.hasAllConfirmed(feed));
      });

      List<String> violations = new ArrayList<>();
      long delivered = 0;
      long missedEvents = 0;
      for (int i = 0; i < SESSIONS; i++) {
        FeedReceiver receiver = receivers.get(i);
        List<String> problems = new ArrayList<>(receiver.violations());
        problems.addAll(receiver.lost(feed));
        for (String violation : problems) {
          violations.add("session " + i + " (resumed from " + sentSince.get(i) + "): " + violation);
        }
        delivered += receiver.received();
        missedEvents += receiver.missedEvents().size();
      }
      Map<String, Object> figure = new LinkedHashMap<>();
      figure.put("figure", "sigkill_recovery");
      figure.put("survivor_window_bytes", windowBytes);
      figure.put("sessions", SESSIONS);
      figure.put("keys", KEYS);
      figure.put("rate_per_s", 500);
      figure.put("published", feed.published());
      figure.put("published_after_kill", feed.published() - publishedAtKill);
      figure.put("failed_publishes", feed.failed());
      figure.put("delivered", delivered);
      figure.put("missed_events_replayed", replayed.size());
      figure.put("missed_bytes", missedBytes);
      figure.put("broker_bytes_read", read);
      figure.put("ratio", String.format(Locale.ROOT, "%.2f", missedBytes == 0 ? 0.0 : (double) read / missedBytes));
      figure.put("stream_reads", figures[0] - figuresBefore[0]);
      figure.put("reconnect_and_recover_ms", (reconnectedAt - reconnectStart) / 1_000_000);
      figure.put("kill_to_all_recovered_ms", (reconnectedAt - killedAt) / 1_000_000);
      figure.put("violations", violations.size());
      record(figure);

      assertThat(violations).as("gaps, duplicates, reorders").isEmpty();
      assertThat(missedEvents).as("MissedEvents frames").isZero();
      assertThat(recovered).isEqualTo(SESSIONS);
      assertThat(feed.failed()).as("failed publishes: %s", feed.failures()).isZero();
      assertThat(replayed).as("events missed while the clients were away").isNotEmpty();
      assertThat(read).as("broker bytes read for %d recovering sessions vs %d bytes missed", SESSIONS, missedBytes)
          .isLessThanOrEqualTo(missedBytes * 3 / 2);
    } finally {
      child.destroyForcibly();
      sockets.forEach(TestClient::close);
      try (Connection connection = HistoryTest.amqp(); Channel channel = connection.createChannel()) {
        channel.queueDelete(stream);
      }
    }
  }

  private static void drain(List<TestClient> sockets, List<FeedReceiver> receivers, NumberedFeed feed) {
    for (int i = 0; i < sockets.size(); i++) {
      for (JsonNode frame : sockets.get(i).drain()) {
        receivers.get(i % receivers.size()).absorb(frame, feed);
      }
    }
  }

  /** The body as the stream stores it: the event and its payload. */
  private static byte[] storedBody(JsonNode frame) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("event", frame.path("event").asText());
    body.put("payload", frame.path("payload"));
    return JSON.writeValueAsBytes(body);
  }

  private static void record(Map<String, Object> figure) throws Exception {
    String json = JSON.writeValueAsString(figure);
    System.out.println("FIGURE " + json);
    Files.writeString(Path.of("target", "history-figures.jsonl"), json + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
