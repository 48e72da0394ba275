package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.broker.internal.HistoryStreams;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cost of recoveries: a client far behind catches up fast without a 4001 close, and many
 * sessions recovering the same range share one read of the stream. Figures are appended to
 * {@code target/history-figures.jsonl} (docs/delivery.md quotes them).
 */
class HistoryRecoveryLoadTest {
  private final String exchange = RabbitMqFixture.unique("deploys-load");
  private final String stream = "myxi.history." + exchange;
  private final List<TestClient> clients = new ArrayList<>();
  private RabbitMqBroker broker;
  private Myxi myxi;
  private MyxiServer server;

  private void start(long windowBytes) {
    start(windowBytes, 1L << 20);
  }

  private void start(long windowBytes, long maxBufferedBytes) {
    broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-history-load")).build();
    broker.start();
    myxi = Myxi.builder().broker(broker).exchange(exchange, Authorizer.allowAll(), Retention.maxAge(Duration.ofHours(1))).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
        .shutdownWindow(Duration.ZERO).historyWindowBytes(windowBytes).maxSubscriptionsPerSession(10).maxBufferedBytes(maxBufferedBytes).build().start();
    await().atMost(Duration.ofSeconds(30)).until(server::isReady);
  }

  @AfterEach
  void stop() throws Exception {
    clients.forEach(TestClient::close);
    if (server != null) {
      server.stop();
      myxi.close();
      broker.close();
    }
    try (Connection connection = HistoryTest.amqp(); Channel channel = connection.createChannel()) {
      channel.queueDelete(stream);
    }
  }

  private TestClient connect() {
    TestClient client = TestClient.connect(server.port());
    clients.add(client);
    return client;
  }

  /** A position: subscribe, publish one event through Myxi, read its position. */
  private Map<String, Object> positionNow(String key) {
    TestClient client = connect();
    HistoryTest.subscribe(client, Map.of("exchange", exchange, "routing_key", key));
    myxi.pushEvent(exchange, key, "Start", Map.of());
    Map<String, Object> position = HistoryTest.position(client.nextEvent("Start"));
    client.close();
    return position;
  }

  /** Publishes straight to the stream with one confirm wait at the end; returns the body bytes. */
  private long publishToStream(int count, int keys) throws Exception {
    long bytes = 0;
    try (Connection connection = HistoryTest.amqp(); Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      for (int n = 1; n <= count; n++) {
        byte[] body = ("{\"event\":\"Line\",\"payload\":{\"n\":" + n + ",\"text\":\"deploy step " + n + " done\"}}").getBytes(StandardCharsets.UTF_8);
        bytes += body.length;
        channel.basicPublish("", stream, true, HistoryStreams.properties("k" + (n % keys)), body);
        if (n % 5000 == 0) {
          channel.waitForConfirmsOrDie(30_000);
        }
      }
      channel.waitForConfirmsOrDie(30_000);
    }
    return bytes;
  }

  private static void record(String json) throws Exception {
    Path file = Path.of("target", "history-figures.jsonl");
    Files.writeString(file, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void a_client_50000_events_behind_catches_up_from_the_stream_without_being_closed() throws Exception {
    start(0); // No window: every event comes from the broker.
    catchUp("stream");
  }

  @Test
  void a_client_50000_events_behind_catches_up_from_the_nodes_window() throws Exception {
    start(64L << 20);
    catchUp("window");
  }

  private void catchUp(String source) throws Exception {
    Map<String, Object> since = positionNow("k0");
    int missed = 50_000;
    // The peer figure, measured in the same run on the same machine: the same events delivered live.
    TestClient live = connect();
    HistoryTest.subscribe(live, Map.of("exchange", exchange, "routing_key", "k0"));
    publishToStream(missed, 1);
    live.next(Duration.ofSeconds(30));
    long liveStart = System.nanoTime();
    for (int i = 1; i < missed; i++) {
      live.next(Duration.ofSeconds(30));
    }
    double livePerSecond = (missed - 1) / ((System.nanoTime() - liveStart) / 1e9);
    live.close();
    // Wait until the node read them live (the window case needs them in memory).
    long target = ((Number) since.get("o")).longValue() + missed;
    await().atMost(Duration.ofSeconds(60)).until(() -> server.stats().deliveriesReceived() >= missed + 1);
    long readBefore = broker.historyReadBytes();
    TestClient client = connect();
    long start = System.nanoTime();
    int tag = client.action("Subscribe", Map.of("exchange", exchange, "routing_key", "k0", "since", since));
    int received = 0;
    int expected = 1;
    JsonNode reply;
    while (true) {
      JsonNode frame = client.next(Duration.ofSeconds(30));
      if (frame.path("tag").asInt(-1) == tag) {
        reply = frame;
        break;
      }
      assertThat(frame.path("payload").path("n").asInt()).isEqualTo(expected++);
      received++;
    }
    long elapsedNanos = System.nanoTime() - start;
    assertThat(reply.path("payload").path("recovered").asBoolean()).as(reply.toString()).isTrue();
    assertThat(received).isEqualTo(missed);
    assertThat(client.isClosed()).isFalse();
    double perSecond = missed / (elapsedNanos / 1e9);
    long read = broker.historyReadBytes() - readBefore;
    record("{\"figure\":\"catch_up\",\"source\":\"" + source + "\",\"events\":" + missed + ",\"ms\":" + elapsedNanos / 1_000_000
        + ",\"events_per_s\":" + Math.round(perSecond) + ",\"peer_live_events_per_s\":" + Math.round(livePerSecond)
        + ",\"load_average\":\"" + Files.readString(Path.of("/proc/loadavg")).trim() + "\",\"broker_bytes_read\":" + read + ",\"last_offset\":" + target + "}");
    assertThat(perSecond).as("events/s").isGreaterThan(5_000);
    if (source.equals("window")) {
      assertThat(read).isZero();
    }
    myxi.pushEvent(exchange, "k0", "Line", Map.of("n", expected));
    assertThat(client.nextEvent("Line").path("payload").path("n").asInt()).isEqualTo(expected);
  }

  @Test
  void two_hundred_sessions_recovering_the_same_range_share_one_read_of_the_stream() throws Exception {
    start(0);
    int sessions = 200;
    Map<String, Object> since = positionNow("k0");
    List<TestClient> recovering = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      recovering.add(connect());
    }
    long missedBytes = publishToStream(2_000, sessions);
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().deliveriesReceived() >= 2_001);
    long readBefore = broker.historyReadBytes();
    long start = System.nanoTime();
    int[] tags = new int[sessions];
    for (int i = 0; i < sessions; i++) {
      tags[i] = recovering.get(i).action("Subscribe", Map.of("exchange", exchange, "routing_key", "k" + i, "since", since));
    }
    for (int i = 0; i < sessions; i++) {
      int events = 0;
      while (true) {
        JsonNode frame = recovering.get(i).next(Duration.ofSeconds(30));
        if (frame.path("tag").asInt(-1) == tags[i]) {
          assertThat(frame.path("payload").path("recovered").asBoolean()).as(frame.toString()).isTrue();
          break;
        }
        assertThat(frame.path("mq").path("rk").asText()).isEqualTo("k" + i);
        events++;
      }
      assertThat(events).isEqualTo(2_000 / sessions);
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    long read = broker.historyReadBytes() - readBefore;
    long[] figures = server.historyFigures(exchange);
    record("{\"figure\":\"shared_read\",\"sessions\":" + sessions + ",\"missed_events\":2000,\"missed_bytes\":" + missedBytes
        + ",\"broker_bytes_read\":" + read + ",\"ratio\":" + String.format(java.util.Locale.ROOT, "%.2f", (double) read / missedBytes)
        + ",\"stream_reads\":" + figures[0] + ",\"ms\":" + elapsedMs + "}");
    assertThat(read).as("broker bytes read for %d recovering sessions", sessions).isLessThanOrEqualTo(missedBytes * 3 / 2);
  }

  /**
   * Issue 10: the live events held back during a replay are bounded (half the output buffer). A
   * client 20,000 events behind on a key that keeps receiving live events, with a small output
   * buffer so the bound trips: the replay reads on past the live events dropped, and the client
   * gets every event once, in order, recovered and not closed.
   */
  @Test
  void a_client_recovering_a_busy_key_gets_every_event_once_in_order_while_the_live_events_held_are_bounded() throws Exception {
    start(0, 32 << 10);
    Map<String, Object> since = positionNow("k0");
    int missed = 20_000;
    publishToStream(missed, 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> server.stats().deliveriesReceived() >= missed + 1);
    // Live events at a steady rate, about 2 KiB a millisecond: the 16 KiB hand-off bound trips.
    String padding = "x".repeat(200);
    java.util.concurrent.atomic.AtomicInteger lastLive = new java.util.concurrent.atomic.AtomicInteger(missed);
    java.util.concurrent.ScheduledExecutorService publisher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      // A task that throws is never run again: keep the first failure, for the assertion below.
      java.util.concurrent.atomic.AtomicReference<RuntimeException> publishFailure = new java.util.concurrent.atomic.AtomicReference<>();
      publisher.scheduleAtFixedRate(() -> {
        int n = lastLive.get() + 1;
        try {
          myxi.pushEvent(exchange, "k0", "Line", Map.of("n", n, "text", padding));
          lastLive.set(n);
        } catch (RuntimeException e) {
          publishFailure.compareAndSet(null, e);
        }
      }, 0, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> lastLive.get() > missed + 100);
      TestClient client = connect();
      int tag = client.action("Subscribe", Map.of("exchange", exchange, "routing_key", "k0", "since", since));
      int expected = 1;
      JsonNode reply = null;
      // Read on after the reply until a good part of the events sent live afterwards came too.
      int stopAt = Integer.MAX_VALUE;
      while (expected <= stopAt) {
        JsonNode frame;
        try {
          frame = client.next(Duration.ofSeconds(30));
        } catch (AssertionError e) {
          throw new AssertionError("waiting for event " + expected + (reply == null ? " before" : " after") + " the reply, last live "
              + lastLive.get() + ", publish failure " + publishFailure.get(), e);
        }
        if (frame.path("tag").asInt(-1) == tag) {
          reply = frame;
          stopAt = lastLive.get() + 200;
          continue;
        }
        assertThat(frame.path("payload").path("n").asInt()).as("event after %d", expected - 1).isEqualTo(expected++);
      }
      assertThat(reply.path("payload").path("recovered").asBoolean()).as(reply.toString()).isTrue();
      assertThat(client.isClosed()).isFalse();
      long[] figures = server.historyFigures(exchange);
      record("{\"figure\":\"busy_key_hand_off\",\"missed_events\":" + missed + ",\"live_events\":" + (lastLive.get() - missed)
          + ",\"stream_reads\":" + figures[0] + ",\"extensions\":" + figures[2] + "}");
      assertThat(figures[2]).as("replays extended past dropped live events").isPositive();
    } finally {
      publisher.shutdownNow();
    }
  }
}
