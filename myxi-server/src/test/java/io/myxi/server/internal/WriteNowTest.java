package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.Subscription;
import io.myxi.server.MyxiServer;
import io.myxi.server.RawWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frames a sender writes itself ({@code writeNow}, per-user events) beside frames the socket
 * writer writes (replies, broadcasts): written at once when the socket is free, whole and in each
 * sender's order whichever thread writes them, and left to the writer when the socket is full.
 */
class WriteNowTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WAIT = InProcessNode.WAIT;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService senders = Executors.newFixedThreadPool(2);
  private InProcessNode node;
  private MyxiServer server;

  @BeforeEach
  void start() {
    node = InProcessNode.start(options -> options.maxBufferedBytes(64L * 1024 * 1024));
    server = node.server();
  }

  @AfterEach
  void stop() throws Exception {
    senders.shutdownNow();
    senders.awaitTermination(10, TimeUnit.SECONDS);
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    node.close();
  }

  private record Subscriber(RawWebSocket socket, SessionImpl session, Subscription subscription) {}

  private Subscriber subscriber(int receiveBuffer) throws Exception {
    RawWebSocket socket = RawWebSocket.connect(server.port(), Map.of(), receiveBuffer);
    closeables.add(socket);
    String key = "k-" + UUID.randomUUID();
    String sessionId = InProcessNode.subscribe(socket, key);
    return new Subscriber(socket, (SessionImpl) server.session(sessionId).orElseThrow(), new Subscription("public", key));
  }

  private static byte[] numbered(String series, int n, String padding) {
    return ("{\"event\":\"" + series + "\",\"payload\":{\"n\":" + n + ",\"p\":\"" + padding + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void a_frame_written_now_has_left_the_node_when_the_send_returns() throws Exception {
    Subscriber subscriber = subscriber(0);

    subscriber.session().sendEvent(numbered("Now", 1, ""), subscriber.subscription(), "myxi.public", true);

    // Written on this thread: nothing waits for the socket writer.
    assertThat(subscriber.session().bufferedBytes()).isZero();
    JsonNode frame = MAPPER.readTree(subscriber.socket().readText());
    assertThat(frame.path("event").asText()).isEqualTo("Now");
    assertThat(frame.path("payload").path("n").asInt()).isEqualTo(1);
  }

  @Test
  void frames_written_now_and_frames_for_the_writer_stay_whole_and_in_each_senders_order() throws Exception {
    Subscriber subscriber = subscriber(0);
    int perSender = 20_000;
    String padding = "x".repeat(300); // some frames then take a 2-byte length: both header forms interleave
    CompletableFuture<Void> start = new CompletableFuture<>();
    Future<?> now = senders.submit(() -> {
      start.join();
      for (int i = 0; i < perSender; i++) {
        subscriber.session().sendEvent(numbered("Now", i, i % 2 == 0 ? "" : padding), subscriber.subscription(), "myxi.public", true);
      }
    });
    Future<?> queued = senders.submit(() -> {
      start.join();
      for (int i = 0; i < perSender; i++) {
        subscriber.session().sendEvent(numbered("Queued", i, i % 3 == 0 ? padding : ""), subscriber.subscription(), "myxi.public", false);
      }
    });
    start.complete(null);
    int pings = 0;
    int nextNow = 0;
    int nextQueued = 0;
    List<String> pongs = new ArrayList<>();
    while (nextNow < perSender || nextQueued < perSender || pongs.size() < pings) {
      if (pings < 50 && (nextNow + nextQueued) / 500 > pings) {
        subscriber.socket().sendText("{\"action\":\"Ping\",\"tag\":\"ping-" + pings++ + "\"}");
      }
      JsonNode frame = MAPPER.readTree(subscriber.socket().readText());
      switch (frame.path("event").asText()) {
        case "Now" -> assertThat(frame.path("payload").path("n").asInt()).as("written-now frame after %d", nextNow).isEqualTo(nextNow++);
        case "Queued" -> assertThat(frame.path("payload").path("n").asInt()).as("queued frame after %d", nextQueued).isEqualTo(nextQueued++);
        case "Pong" -> pongs.add(frame.path("tag").asText());
        default -> throw new AssertionError("unexpected frame " + frame);
      }
    }
    now.get(10, TimeUnit.SECONDS);
    queued.get(10, TimeUnit.SECONDS);
    assertThat(pongs).hasSize(pings).doesNotHaveDuplicates();
    assertThat(subscriber.session().isClosing()).isFalse();
  }

  @Test
  void a_full_socket_leaves_frames_written_now_to_the_writer_which_delivers_them_all_once_the_peer_reads() throws Exception {
    Subscriber paused = subscriber(4096);
    int frames = 400;
    String padding = "q".repeat(16 * 1024);
    for (int i = 0; i < frames; i++) {
      paused.session().sendEvent(numbered("Now", i, padding), paused.subscription(), "myxi.public", true);
    }
    // More than the socket's buffers take: the rest waits in the node.
    assertThat(paused.session().bufferedBytes()).isGreaterThan(1024L * 1024);

    for (int i = 0; i < frames; i++) {
      JsonNode frame = MAPPER.readTree(paused.socket().readText());
      assertThat(frame.path("payload").path("n").asInt()).as("frame after %d", i).isEqualTo(i);
    }
    await().atMost(WAIT).until(() -> paused.session().bufferedBytes() == 0);
  }
}
