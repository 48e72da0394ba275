package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.CloseCodes;
import io.myxi.Myxi;
import io.myxi.server.MyxiServer;
import io.myxi.server.RawWebSocket;
import io.myxi.testing.FixedRate;
import io.myxi.testing.TestClient;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slow readers (issue 4, item 8): a client that stops reading is closed with 4001 once more than
 * its buffer bound waits for it, the bytes held for it never pass the bound, and the latency of
 * healthy clients is measured with and without stalled ones.
 */
class SlowConsumerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WAIT = InProcessNode.WAIT;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private InProcessNode node;
  private Myxi myxi;
  private MyxiServer server;

  @BeforeEach
  void start() {
    node = InProcessNode.start(options -> options);
    myxi = node.myxi();
    server = node.server();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    node.close();
  }

  /** A client that subscribes and then never reads again; returns its session id. */
  private String stalledSubscriber(String key) throws Exception {
    RawWebSocket stalled = RawWebSocket.connect(server.port(), Map.of(), 4096);
    closeables.add(stalled);
    return InProcessNode.subscribe(stalled, key);
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void a_stalled_reader_is_closed_with_4001_and_never_holds_more_than_its_bound() throws Exception {
    long bound = 1024 * 1024; // the default
    List<SessionImpl> stalled = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String id = stalledSubscriber("flood");
      stalled.add((SessionImpl) server.session(id).orElseThrow());
    }
    TestClient healthy = TestClient.connect(server.port());
    closeables.add(healthy);
    assertThat(healthy.call("Subscribe", Map.of("exchange", "public", "routing_key", "flood")).path("event").asText()).isEqualTo("Subscribed");
    long heapBefore = heapAfterGc();

    String padding = "p".repeat(32 * 1024);
    long maxBuffered = 0;
    long maxBufferedTotal = 0;
    int events = 400;
    int pushedWhenAllClosed = -1;
    for (int i = 0; i < events; i++) {
      myxi.pushEvent("public", "flood", "Flood", Map.of("i", i, "padding", padding));
      JsonNode received = healthy.next(WAIT);
      assertThat(received.path("payload").path("i").asInt()).isEqualTo(i);
      long total = 0;
      for (SessionImpl session : stalled) {
        long buffered = session.bufferedBytes();
        maxBuffered = Math.max(maxBuffered, buffered);
        total += buffered;
      }
      maxBufferedTotal = Math.max(maxBufferedTotal, total);
      if (pushedWhenAllClosed < 0 && stalled.stream().allMatch(SessionImpl::isClosing)) {
        pushedWhenAllClosed = i + 1;
      }
    }
    System.out.println("FIGURE slow_consumer_max_buffered_bytes=" + maxBuffered + " B (bound " + bound + " B)");
    System.out.println("FIGURE slow_consumer_max_buffered_total_bytes=" + maxBufferedTotal + " B for 10 stalled sessions");
    System.out.println("FIGURE slow_consumer_events_until_all_closed=" + pushedWhenAllClosed + " events of 32 KiB");
    assertThat(maxBuffered).isLessThanOrEqualTo(bound);
    await().atMost(WAIT).until(() -> server.stats().closes().getOrDefault("slow_consumer", 0L) == 10L);
    await().atMost(WAIT).until(() -> server.stats().sessions() == 1);
    long heapDelta = heapAfterGc() - heapBefore;
    System.out.println("FIGURE slow_consumer_heap_delta_after_gc=" + heapDelta / 1024 + " KiB");
    assertThat(heapDelta).isLessThan(64L * 1024 * 1024);
    for (AutoCloseable closeable : closeables) {
      if (closeable instanceof RawWebSocket socket) {
        // The close frame may be unread behind the backlog: the TCP connection is dropped anyway.
        assertThat(socket.awaitEndOfStream(WAIT)).isTrue();
      }
    }
    assertThat(healthy.call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  /**
   * Frames are written straight to the socket by the thread that sends them; what the socket does
   * not take waits in the connection and is written by the node's socket writer once there is room.
   * A reader that pauses long enough for megabytes to wait in the node, while events and action
   * replies come from different threads, must then get every frame, each once, events in order.
   */
  @Test
  void a_reader_that_pauses_gets_every_frame_in_order_once_it_reads_again() throws Exception {
    MyxiServer roomy = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
        .shutdownWindow(Duration.ZERO).maxBufferedBytes(64L * 1024 * 1024).build().start();
    try {
      RawWebSocket paused = RawWebSocket.connect(roomy.port(), Map.of(), 4096);
      closeables.add(paused);
      String sessionId = MAPPER.readTree(paused.readText()).path("payload").path("id").asText();
      paused.sendText("{\"action\":\"Subscribe\",\"payload\":{\"exchange\":\"public\",\"routing_key\":\"pause\"}}");
      assertThat(MAPPER.readTree(paused.readText()).path("event").asText()).isEqualTo("Subscribed");
      SessionImpl session = (SessionImpl) roomy.session(sessionId).orElseThrow();
      TestClient healthy = TestClient.connect(roomy.port());
      closeables.add(healthy);
      assertThat(healthy.call("Subscribe", Map.of("exchange", "public", "routing_key", "pause")).path("event").asText()).isEqualTo("Subscribed");

      String padding = "q".repeat(16 * 1024);
      int events = 600;
      int pings = 0;
      long maxBuffered = 0;
      for (int i = 0; i < events; i++) {
        myxi.pushEvent("public", "pause", "Paused", Map.of("i", i, "padding", padding));
        assertThat(healthy.next(WAIT).path("payload").path("i").asInt()).as("healthy client, event %d", i).isEqualTo(i);
        if (i % 50 == 0) {
          paused.sendText("{\"action\":\"Ping\",\"tag\":\"ping-" + pings++ + "\"}");
        }
        maxBuffered = Math.max(maxBuffered, session.bufferedBytes());
      }
      System.out.println("FIGURE paused_reader_max_buffered_bytes=" + maxBuffered + " B in the node");
      // More than the kernel's buffers hold: the rest waited in the node for the socket writer.
      assertThat(maxBuffered).isGreaterThan(1024L * 1024);

      int nextEvent = 0;
      List<String> pongs = new ArrayList<>();
      while (nextEvent < events || pongs.size() < pings) {
        JsonNode frame = MAPPER.readTree(paused.readText());
        if (frame.path("event").asText().equals("Pong")) {
          pongs.add(frame.path("tag").asText());
        } else {
          assertThat(frame.path("payload").path("i").asInt()).as("event after %d in order", nextEvent).isEqualTo(nextEvent);
          nextEvent++;
        }
      }
      assertThat(pongs).hasSize(pings).doesNotHaveDuplicates();
      assertThat(session.isClosing()).isFalse();
      await().atMost(WAIT).until(() -> session.bufferedBytes() == 0);
    } finally {
      roomy.stop();
    }
  }

  @Test
  void a_reader_that_keeps_up_is_never_closed() throws Exception {
    TestClient reader = TestClient.connect(server.port());
    closeables.add(reader);
    reader.call("Subscribe", Map.of("exchange", "public", "routing_key", "steady"));
    String padding = "q".repeat(16 * 1024);
    // Bursts of about half the bound: a reader that keeps up never has the whole bound waiting.
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 30; i++) {
        myxi.pushEvent("public", "steady", "Steady", Map.of("i", i, "padding", padding));
      }
      for (int i = 0; i < 30; i++) {
        assertThat(reader.next(WAIT).path("payload").path("i").asInt()).isEqualTo(i);
      }
    }
    assertThat(reader.isClosed()).isFalse();
    assertThat(server.stats().closes()).doesNotContainKey("slow_consumer");
  }

  /** A healthy client that records, on arrival, how long each event took since it was pushed. */
  private static final class LatencyClient implements WebSocket.Listener {
    final ConcurrentLinkedQueue<Long> latenciesNanos = new ConcurrentLinkedQueue<>();
    final AtomicInteger received = new AtomicInteger();
    private final StringBuilder text = new StringBuilder();
    WebSocket socket;

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        int at = frame.indexOf("\"sent\":");
        if (at >= 0) {
          long now = System.nanoTime();
          int end = at + 7;
          while (end < frame.length() && (Character.isDigit(frame.charAt(end)) || frame.charAt(end) == '-')) {
            end++;
          }
          latenciesNanos.add(now - Long.parseLong(frame.substring(at + 7, end)));
          received.incrementAndGet();
        }
      }
      webSocket.request(1);
      return null;
    }
  }

  private double[] measure(List<LatencyClient> clients, String key, int events, int payloadBytes) throws Exception {
    clients.forEach(client -> {
      client.latenciesNanos.clear();
      client.received.set(0);
    });
    String padding = "l".repeat(payloadBytes);
    // A steady 100 events per second, as a feed would send them.
    FixedRate.times(events, Duration.ofMillis(10), WAIT,
        i -> myxi.pushEvent("public", key, "Tick", Map.of("sent", System.nanoTime(), "padding", padding)));
    await().atMost(WAIT).until(() -> clients.stream().allMatch(client -> client.received.get() == events));
    long[] all = clients.stream().flatMap(client -> client.latenciesNanos.stream()).mapToLong(Long::longValue).sorted().toArray();
    double p50 = all[(int) (all.length * 0.50)] / 1e6;
    double p99 = all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6;
    double max = all[all.length - 1] / 1e6;
    return new double[] {p50, p99, max};
  }

  @Test
  void healthy_latency_with_and_without_one_percent_stalled_clients() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<LatencyClient> clients = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      LatencyClient client = new LatencyClient();
      client.socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/"), client).get(30, TimeUnit.SECONDS);
      client.socket.sendText("{\"action\":\"Subscribe\",\"payload\":{\"exchange\":\"public\",\"routing_key\":\"tick\"}}", true).get(30, TimeUnit.SECONDS);
      clients.add(client);
      closeables.add(() -> client.socket.abort());
    }
    await().atMost(WAIT).until(() -> server.stats().subscriptions() == 100);
    // 400 events of 16 KiB: enough for a stalled client to fill the kernel's buffers and then its
    // own 1 MiB bound, and be closed, within the measured window.
    int events = 400;
    int payload = 16 * 1024;
    measure(clients, "tick", 100, payload); // warm-up

    // Alternating rounds, so load from elsewhere on the machine shows as noise in both columns.
    List<String> rounds = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      double[] without = measure(clients, "tick", events, payload);
      String stalledId = stalledSubscriber("tick");
      double[] with = measure(clients, "tick", events, payload);
      boolean stalledClosed = server.session(stalledId).map(session -> ((SessionImpl) session).isClosing()).orElse(true);
      rounds.add(String.format("round %d: without p50=%.1f p99=%.1f max=%.1f ms, with p50=%.1f p99=%.1f max=%.1f ms (stalled client closed: %s)",
          round, without[0], without[1], without[2], with[0], with[1], with[2], stalledClosed));
      for (AutoCloseable closeable : closeables) {
        if (closeable instanceof RawWebSocket socket) {
          socket.close();
        }
      }
      await().atMost(WAIT).until(() -> server.stats().sessions() == 100);
    }
    rounds.forEach(round -> System.out.println("FIGURE healthy_latency " + round + " (100 clients, " + events + " events of 16 KiB at 100/s)"));
    assertThat(clients).allMatch(client -> client.received.get() == events);
  }

  @Test
  void the_close_code_for_a_slow_consumer_is_4001() throws Exception {
    // A reader that stalls and then reads again sees why it was closed.
    RawWebSocket reader = RawWebSocket.connect(server.port(), Map.of(), 4096);
    closeables.add(reader);
    reader.readText();
    reader.sendText("{\"action\":\"Subscribe\",\"payload\":{\"exchange\":\"public\",\"routing_key\":\"late\"}}");
    reader.readText();
    String padding = "z".repeat(60 * 1024);
    for (int i = 0; i < 300 && server.stats().closes().getOrDefault("slow_consumer", 0L) == 0L; i++) {
      myxi.pushEvent("public", "late", "Late", Map.of("padding", padding));
    }
    await().atMost(WAIT).until(() -> server.stats().closes().getOrDefault("slow_consumer", 0L) == 1L);
    // Reading now drains the queued events and then finds the close frame, if the server has not
    // dropped the connection first.
    int code = reader.awaitClose(WAIT);
    assertThat(code).isIn(CloseCodes.SLOW_CONSUMER, -1);
  }
}
