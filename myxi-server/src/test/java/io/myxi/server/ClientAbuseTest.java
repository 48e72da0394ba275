package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.CloseCodes;
import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.TestClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Client faults and abuse (issue 4, items 9 to 11, and the client side of 8), each injected for
 * real through a socket: dead peers, lying frame headers, endless fragments and handshakes,
 * floods of actions, subscriptions and connections.
 */
class ClientAbuseTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private InProcessBroker broker;
  private Myxi myxi;
  private MyxiServer server;
  private final CountDownLatch blockRelease = new CountDownLatch(1);

  private MyxiServer start(Consumer<MyxiServer.Builder> settings) {
    broker = new InProcessBroker();
    TestApp app = new TestApp();
    myxi = app.builder(broker)
        .action("Block", request -> {
          blockRelease.await(30, TimeUnit.SECONDS);
          request.reply("Unblocked", Map.of());
        })
        .build();
    MyxiServer.Builder builder = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO);
    settings.accept(builder);
    server = builder.build().start();
    await().atMost(WAIT).until(server::isReady);
    return server;
  }

  @AfterEach
  void stop() throws Exception {
    blockRelease.countDown();
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    if (server != null) {
      server.stop();
      myxi.close();
      broker.close();
    }
  }

  private TestClient client() {
    TestClient client = TestClient.connect(server.port());
    closeables.add(client);
    return client;
  }

  private RawWebSocket raw() throws IOException {
    RawWebSocket socket = RawWebSocket.connect(server.port(), Map.of());
    closeables.add(socket);
    assertThat(socket.status()).isEqualTo(101);
    assertThat(MAPPER.readTree(socket.readText()).path("event").asText()).isEqualTo("Welcome");
    return socket;
  }

  private void assertStillServing() {
    try (TestClient healthy = TestClient.connect(server.port())) {
      assertThat(healthy.call("Ping", null).path("event").asText()).isEqualTo("Pong");
    }
  }

  /** Bytes allocated so far by every live thread of this JVM (the server's included). */
  private static long allocatedBytes() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = threads.getAllThreadIds();
    long total = 0;
    for (long allocated : threads.getThreadAllocatedBytes(ids)) {
      total += Math.max(0, allocated);
    }
    return total;
  }

  // ------------------------------------------------------------------ 10. huge frames

  @Test
  void frame_headers_declaring_huge_lengths_close_with_1009_before_authentication_and_allocate_nothing_large() throws Exception {
    start(builder -> {});
    TestClient bystander = client();
    for (long declared : new long[] {Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 64 * 1024 + 1}) {
      long allocatedBefore = allocatedBytes();
      RawWebSocket attacker = raw();
      attacker.sendHeaderOnly(RawWebSocket.TEXT, true, declared);
      int code = attacker.awaitClose(WAIT);
      long allocated = allocatedBytes() - allocatedBefore;
      System.out.println("FIGURE huge_frame_header_allocated_bytes=" + allocated + " B (declared " + Long.toUnsignedString(declared) + ")");
      assertThat(code).as("close code for a header declaring %s bytes", Long.toUnsignedString(declared)).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
      assertThat(allocated).as("bytes allocated while refusing it").isLessThan(32L * 1024 * 1024);
      assertThat(bystander.call("Ping", null).path("event").asText()).isEqualTo("Pong");
    }
    await().atMost(WAIT).until(() -> server.stats().closes().getOrDefault("message_too_big", 0L) == 4L);
    assertStillServing();
  }

  @Test
  void a_complete_frame_over_the_maximum_message_size_closes_with_1009() throws Exception {
    start(builder -> builder.maxMessageBytes(4096));
    RawWebSocket attacker = raw();
    attacker.send(RawWebSocket.TEXT, true, "x".repeat(4097).getBytes(StandardCharsets.UTF_8));
    assertThat(attacker.awaitClose(WAIT)).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);

    RawWebSocket exact = raw();
    String atLimit = "{\"action\":\"Ping\",\"tag\":\"" + "x".repeat(4096 - 26) + "\"}";
    assertThat(atLimit.length()).isEqualTo(4096);
    exact.sendText(atLimit);
    assertThat(MAPPER.readTree(exact.readText()).path("event").asText()).isEqualTo("Error");
  }

  /**
   * The server refuses a message too large as soon as it reads the header, while the client is
   * still sending the rest. Closing the socket with that rest unread would reset the connection and
   * the client would lose the close frame (1006 instead of 1009): the server drains it first.
   */
  @Test
  void a_client_still_sending_a_refused_message_gets_1009_not_a_reset() {
    start(builder -> builder.maxMessageBytes(64 * 1024));
    String tooLarge = "{\"action\":\"Ping\",\"tag\":\"" + "z".repeat(1024 * 1024) + "\"}";
    for (int attempt = 1; attempt <= 20; attempt++) {
      TestClient sender = client();
      try {
        sender.sendText(tooLarge);
      } catch (RuntimeException refusedWhileSending) {
        // The close may arrive while the message is still being written; the code is what counts.
      }
      assertThat(sender.awaitClose(WAIT)).as("close code seen by the client, attempt %d", attempt).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    }
    assertStillServing();
  }

  @Test
  void fragments_are_bounded_in_total_not_only_one_by_one() throws Exception {
    start(builder -> builder.maxMessageBytes(64 * 1024));
    long allocatedBefore = allocatedBytes();
    RawWebSocket attacker = raw();
    attacker.send(RawWebSocket.TEXT, false, "{\"action\":\"Ping\",\"tag\":\"".getBytes(StandardCharsets.UTF_8));
    byte[] fragment = "y".repeat(16 * 1024).getBytes(StandardCharsets.UTF_8);
    int sent = 0;
    int code = 0;
    try {
      // Each fragment is well under the limit; without a total, this could go on for ever.
      for (; sent < 1000; sent++) {
        attacker.send(RawWebSocket.CONTINUATION, false, fragment);
      }
    } catch (IOException closedByServer) {
      // Expected: the server closed while we were still sending.
    }
    code = attacker.awaitClose(WAIT);
    System.out.println("FIGURE fragmented_message_allocated_bytes=" + (allocatedBytes() - allocatedBefore) + " B after " + sent + " fragments of 16 KiB");
    assertThat(code).isIn(CloseCodes.MESSAGE_TOO_BIG, -1);
    await().atMost(WAIT).until(() -> server.stats().sessions() == 0);
    assertStillServing();

    // A fragmented message within the limit is fine.
    RawWebSocket polite = raw();
    polite.send(RawWebSocket.TEXT, false, "{\"action\":\"Pi".getBytes(StandardCharsets.UTF_8));
    polite.send(RawWebSocket.CONTINUATION, false, "ng\",\"tag\"".getBytes(StandardCharsets.UTF_8));
    polite.send(RawWebSocket.CONTINUATION, true, ":5}".getBytes(StandardCharsets.UTF_8));
    JsonNode pong = MAPPER.readTree(polite.readText());
    assertThat(pong.path("event").asText()).isEqualTo("Pong");
    assertThat(pong.path("tag").asInt()).isEqualTo(5);
  }

  @Test
  void permessage_deflate_is_never_negotiated() throws Exception {
    start(builder -> {});
    RawWebSocket socket = RawWebSocket.connect(server.port(), Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"));
    closeables.add(socket);
    assertThat(socket.status()).isEqualTo(101);
    assertThat(socket.header("Sec-WebSocket-Extensions")).isNull();
  }

  @Test
  void an_endless_handshake_is_answered_431_and_closed() throws Exception {
    start(builder -> builder.maxHandshakeBytes(8 * 1024));
    RawWebSocket attacker = RawWebSocket.open(server.port(), 0);
    closeables.add(attacker);
    StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\nCookie: ");
    request.append("a".repeat(20 * 1024));
    try {
      attacker.sendRaw(request.toString().getBytes(StandardCharsets.ISO_8859_1));
    } catch (IOException closedByServer) {
      // The server may close before reading everything.
    }
    attacker.readResponse();
    assertThat(attacker.status()).isEqualTo(431);
    assertThat(attacker.awaitEndOfStream(WAIT)).as("closed after the answer").isTrue();

    // Big but within the bound: accepted.
    RawWebSocket cookies = RawWebSocket.connect(server.port(), Map.of("Cookie", "b".repeat(6 * 1024)));
    closeables.add(cookies);
    assertThat(cookies.status()).isEqualTo(101);
  }

  @Test
  void a_connection_that_never_completes_its_handshake_is_closed_at_the_deadline() throws Exception {
    start(builder -> builder.handshakeTimeout(Duration.ofSeconds(1)));
    RawWebSocket silent = RawWebSocket.open(server.port(), 0);
    closeables.add(silent);
    RawWebSocket slow = RawWebSocket.open(server.port(), 0);
    closeables.add(slow);
    slow.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
    long started = System.nanoTime();
    assertThat(silent.awaitEndOfStream(WAIT)).isTrue();
    assertThat(slow.awaitEndOfStream(WAIT)).isTrue();
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.println("FIGURE handshake_timeout_close_ms=" + elapsed + " ms (deadline 1000 ms)");
    assertThat(server.stats().closes()).containsEntry("handshake_timeout", 2L);
    assertStillServing();
  }

  @Test
  void clients_that_hang_up_right_after_the_handshake_leave_no_session_behind() throws Exception {
    start(builder -> {});
    for (int i = 0; i < 300; i++) {
      RawWebSocket.connect(server.port(), Map.of()).close();
    }
    // Some of them hang up while the server is still opening the connection.
    await("no session left").atMost(WAIT).until(() -> server.stats().sessions() == 0);
    assertStillServing();
  }

  // ------------------------------------------------------------------ 9. dead peer

  @Test
  void a_peer_that_stops_answering_pings_is_closed_and_its_subscriptions_released() throws Exception {
    start(builder -> builder.connectionLostTimeout(Duration.ofSeconds(1)));
    RawWebSocket dead = raw();
    dead.sendText("{\"action\":\"Subscribe\",\"tag\":1,\"payload\":{\"exchange\":\"public\",\"routing_key\":\"dead\"}}");
    assertThat(MAPPER.readTree(dead.readText()).path("event").asText()).isEqualTo("Subscribed");
    assertThat(server.stats().bindings()).isEqualTo(1);

    // From now on it neither reads nor answers pings.
    long started = System.nanoTime();
    await().atMost(WAIT).until(() -> server.stats().sessions() == 0);
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.println("FIGURE dead_peer_closed_after_ms=" + elapsed + " ms (connectionLostTimeout 1000 ms)");
    await().atMost(WAIT).until(() -> server.stats().bindings() == 0 && server.stats().subscriptions() == 0);
    assertStillServing();
  }

  // ------------------------------------------------------------------ 11. floods

  @Test
  void an_action_flood_is_answered_rate_limited_then_closed_with_4002() throws Exception {
    start(builder -> builder.actionRateLimit(5, 10));
    RawWebSocket flooder = raw();
    StringBuilder burst = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      flooder.sendText("{\"action\":\"Ping\",\"tag\":" + i + "}");
    }
    Map<String, Integer> replies = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      JsonNode reply = MAPPER.readTree(flooder.readText());
      String kind = reply.path("event").asText() + "/" + reply.path("payload").path("error").asText("");
      replies.merge(kind, 1, Integer::sum);
      assertThat(reply.has("tag")).as("every refusal carries its tag").isTrue();
    }
    assertThat(replies.get("Pong/")).isBetween(10, 20);
    assertThat(replies.get("Error/RateLimited")).isGreaterThanOrEqualTo(20);

    // A client that ignores the refusals is disconnected.
    try {
      for (int i = 0; i < 500; i++) {
        burst.setLength(0);
        flooder.sendText("{\"action\":\"Ping\"}");
      }
    } catch (IOException closedByServer) {
      // Expected once closed.
    }
    assertThat(flooder.awaitClose(WAIT)).isIn(CloseCodes.RATE_LIMITED, -1);
    await().atMost(WAIT).until(() -> server.stats().closes().getOrDefault("rate_limited", 0L) == 1L);
    assertStillServing();
  }

  @Test
  void actions_waiting_to_run_are_bounded() throws Exception {
    start(builder -> builder.actionRateLimit(0, 1));
    TestClient client = client();
    int sent = Node_MAX_PENDING_ACTIONS + 44;
    for (int i = 0; i < sent; i++) {
      client.action("Block", null);
    }
    int refused = 0;
    for (int i = 0; i < sent - Node_MAX_PENDING_ACTIONS; i++) {
      JsonNode reply = client.next();
      if ("RateLimited".equals(reply.path("payload").path("error").asText())) {
        refused++;
      }
    }
    assertThat(refused).isGreaterThanOrEqualTo(sent - Node_MAX_PENDING_ACTIONS - 1);
    blockRelease.countDown();
    for (int i = 0; i < sent - refused; i++) {
      assertThat(client.next().path("event").asText()).isEqualTo("Unblocked");
    }
    assertThat(client.call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  /** io.myxi.server.internal.ActionDispatcher.MAX_PENDING_ACTIONS, which tests cannot see. */
  private static final int Node_MAX_PENDING_ACTIONS = 256;

  @Test
  void the_subscription_cap_answers_too_many_subscriptions() throws Exception {
    start(builder -> builder.maxSubscriptionsPerSession(5));
    TestClient client = client();
    int tag = client.action("Subscribe", Map.of("exchange", "public", "routing_keys", IntStream.range(0, 7).mapToObj(i -> "k" + i).toList()));
    List<String> errors = new ArrayList<>();
    int subscribed = 0;
    for (int i = 0; i < 7; i++) {
      JsonNode reply = client.nextWithTag(tag);
      if (reply.path("event").asText().equals("Subscribed")) {
        subscribed++;
      } else {
        errors.add(reply.path("payload").path("error").asText() + ":" + reply.path("payload").path("routing_key").asText());
      }
    }
    assertThat(subscribed).isEqualTo(5);
    assertThat(errors).containsExactly("TooManySubscriptions:k5", "TooManySubscriptions:k6");
    assertThat(server.stats().subscriptions()).isEqualTo(5);
  }

  @Test
  void huge_routing_keys_arrays_are_refused() throws Exception {
    start(builder -> {});
    TestClient client = client();
    JsonNode tooMany = client.call("Subscribe", Map.of("exchange", "public", "routing_keys", IntStream.range(0, 1001).mapToObj(i -> "k" + i).toList()));
    assertThat(tooMany.path("payload").path("error").asText()).isEqualTo("InvalidRoutingKey");
    assertThat(server.stats().subscriptions()).isZero();
    assertThat(client.call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  /**
   * A connection over the cap is closed in the same instant it opens: the close frame is queued
   * right behind the handshake response, while the socket writer may be writing that response.
   * The writer once closed the socket in between and stranded the close frame (8 of 80 attempts).
   */
  @Test
  void a_close_right_after_the_handshake_always_reaches_the_client() throws Exception {
    start(builder -> {});
    // A fresh node each time: the race showed on nodes that had just started.
    for (int attempt = 1; attempt <= 30; attempt++) {
      MyxiServer capped = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO)
          .shutdownWindow(Duration.ZERO).maxConnections(1).build().start();
      try (TestClient admitted = TestClient.connect(capped.port());
          RawWebSocket refused = RawWebSocket.connect(capped.port(), Map.of())) {
        assertThat(refused.status()).isEqualTo(101);
        RawWebSocket.Frame frame = refused.readFrame();
        assertThat(frame.opcode()).as("attempt %d", attempt).isEqualTo(8);
        assertThat(frame.closeCode()).as("attempt %d", attempt).isEqualTo(CloseCodes.TOO_MANY_CONNECTIONS);
      } finally {
        capped.stop();
      }
    }
  }

  @Test
  void the_connection_cap_closes_extra_connections_with_4004() throws Exception {
    start(builder -> builder.maxConnections(3));
    List<TestClient> admitted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      admitted.add(client());
    }
    TestClient extra = TestClient.connectRaw(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/"), Map.of());
    closeables.add(extra);
    assertThat(extra.awaitClose(WAIT)).isEqualTo(CloseCodes.TOO_MANY_CONNECTIONS);
    assertThat(server.stats().closes()).containsEntry("too_many_connections", 1L);

    admitted.get(0).close();
    await().atMost(WAIT).until(() -> server.stats().sessions() == 2);
    assertThat(client().call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  @Test
  void sessions_that_do_not_authenticate_in_time_are_closed_with_4003() throws Exception {
    start(builder -> builder.authenticationTimeout(Duration.ofMillis(500)));
    TestClient anonymous = client();
    TestClient alice = client();
    assertThat(alice.call("Authenticate", Map.of("token", "alice-token")).path("event").asText()).isEqualTo("Authenticated");
    assertThat(anonymous.awaitClose(WAIT)).isEqualTo(CloseCodes.AUTHENTICATION_TIMEOUT);
    assertThat(alice.poll(Duration.ofMillis(700))).isNull();
    assertThat(alice.call("Ping", null).path("event").asText()).isEqualTo("Pong");
    assertThat(alice.isClosed()).isFalse();
  }

  @Test
  void the_authentication_deadline_is_off_by_default() throws Exception {
    start(builder -> {});
    TestClient anonymous = client();
    assertThat(anonymous.poll(Duration.ofSeconds(2))).isNull();
    assertThat(anonymous.call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  @Test
  void oversized_tags_are_refused_instead_of_echoed() throws Exception {
    start(builder -> {});
    TestClient client = client();
    client.sendText("{\"action\":\"Subscribe\",\"tag\":\"" + "t".repeat(2000) + "\",\"payload\":{\"exchange\":\"public\",\"routing_keys\":[\"a\",\"b\"]}}");
    JsonNode reply = client.next();
    assertThat(reply.path("payload").path("error").asText()).isEqualTo("InvalidJSON");
    assertThat(reply.has("tag")).isFalse();
    assertThat(server.stats().subscriptions()).isZero();
  }
}
