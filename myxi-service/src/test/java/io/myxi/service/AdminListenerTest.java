package io.myxi.service;

import static io.myxi.service.NodeHarness.get;
import static io.myxi.service.NodeHarness.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.myxi.testing.TestClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin listener under stalled sockets and cross-site requests: real sockets, real RabbitMQ. */
class AdminListenerTest {
  private static final String PUBLISH_BODY = "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"Forged\",\"payload\":null}";
  private final NodeHarness harness = new NodeHarness();
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    harness.close();
  }

  /** A socket that sent one byte of a request line and then nothing. */
  private Socket stalled(StandaloneNode node) throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.connect(new InetSocketAddress("127.0.0.1", node.adminPort()), 5000);
    socket.getOutputStream().write('G');
    socket.getOutputStream().flush();
    return socket;
  }

  /** True once the server closed the socket (end of stream or reset). */
  private static boolean closedByServer(Socket socket, Duration wait) throws IOException {
    socket.setSoTimeout((int) wait.toMillis());
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /** Sends {@code request} as written and returns the whole response (the server closes). */
  static String raw(StandaloneNode node, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.adminPort()), 5000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String publishRequest(StandaloneNode node, String host, String contentType, String... extraHeaders) {
    StringBuilder request = new StringBuilder("POST /publish HTTP/1.1\r\nHost: " + host + "\r\n");
    if (contentType != null) {
      request.append("Content-Type: ").append(contentType).append("\r\n");
    }
    for (String header : extraHeaders) {
      request.append(header).append("\r\n");
    }
    byte[] body = PUBLISH_BODY.getBytes(StandardCharsets.UTF_8);
    return request.append("Content-Length: ").append(body.length).append("\r\n\r\n").append(PUBLISH_BODY).toString();
  }

  private static int status(String response) {
    return Integer.parseInt(response.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
  }

  @Test
  void health_and_ready_answer_while_a_dozen_stalled_sockets_are_open() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    int stalledCount = 12;
    for (int i = 0; i < stalledCount; i++) {
      stalled(node);
    }
    List<Long> micros = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long started = System.nanoTime();
      HttpResponse<String> health = get(node, i % 2 == 0 ? "/health" : "/ready", null);
      micros.add((System.nanoTime() - started) / 1000);
      assertThat(health.statusCode()).isEqualTo(200);
    }
    micros.sort(null);
    System.out.printf("{\"figure\":\"admin_health_with_stalled_sockets\",\"stalled\":%d,\"requests\":20,\"p50_us\":%d,\"max_us\":%d}%n",
        stalledCount, micros.get(10), micros.get(19));
    assertThat(micros.get(19)).isLessThan(2_000_000);
    assertThat(get(node, "/status", null).statusCode()).isEqualTo(200);
  }

  @Test
  void a_request_that_never_completes_is_dropped_after_the_request_timeout() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "admin.request_timeout", "1s"));
    Socket headers = stalled(node);
    headers.getOutputStream().write("ET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
    Socket body = new Socket("127.0.0.1", node.adminPort());
    sockets.add(body);
    body.getOutputStream().write(publishRequest(node, "127.0.0.1", "application/json").substring(0, 150).getBytes(StandardCharsets.US_ASCII));
    long started = System.nanoTime();
    assertThat(closedByServer(headers, Duration.ofSeconds(5))).isTrue();
    assertThat(closedByServer(body, Duration.ofSeconds(5))).isTrue();
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf("{\"figure\":\"admin_incomplete_requests_dropped_after_ms\",\"request_timeout_ms\":1000,\"took_ms\":%d}%n", took.toMillis());
    assertThat(took).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void connections_past_the_per_address_cap_are_closed_at_once_and_the_slots_come_back() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "admin.request_timeout", "1s", "admin.max_connections_per_address", "4"));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(stalled(node));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      Socket extra = new Socket("127.0.0.1", node.adminPort());
      sockets.add(extra);
      return closedByServer(extra, Duration.ofMillis(500));
    });
    for (Socket socket : held) {
      assertThat(closedByServer(socket, Duration.ofSeconds(5))).isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> get(node, "/health", null).statusCode() == 200);
  }

  @Test
  void health_answers_while_every_publish_thread_waits_for_an_absent_broker() throws Exception {
    // A broker that accepts TCP and never answers: a publish waits its whole timeout (a refused
    // port would fail it at once and never fill the pool).
    java.net.ServerSocket silentBroker = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "broker.url", "amqp://guest:guest@127.0.0.1:" + silentBroker.getLocalPort() + "/",
        "broker.publish_timeout", "2s"));
    assertThat(get(node, "/health", null).statusCode()).isEqualTo(200); // Warm: the first call loads classes.
    List<CompletableFuture<HttpResponse<String>>> publishes = new ArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 8; i++) {
      publishes.add(CompletableFuture.supplyAsync(() -> {
        try {
          return post(node, "/publish", PUBLISH_BODY, null);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, callers));
    }
    // Every publish thread is taken once the node has counted the first four as started.
    await().atMost(Duration.ofSeconds(5)).until(() -> node.adminPooledInFlight() == 4);
    long started = System.nanoTime();
    assertThat(get(node, "/health", null).statusCode()).isEqualTo(200);
    assertThat(get(node, "/ready", null).statusCode()).isEqualTo(503);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf("{\"figure\":\"admin_health_and_ready_while_publish_pool_stuck_ms\",\"pool_busy\":4,\"took_ms\":%d}%n", took.toMillis());
    assertThat(took).isLessThan(Duration.ofSeconds(2));
    for (CompletableFuture<HttpResponse<String>> publish : publishes) {
      assertThat(publish.get().statusCode()).isEqualTo(503);
    }
    callers.shutdown();
    silentBroker.close();
  }

  @Test
  void cross_site_requests_are_refused_and_publish_nothing() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient subscriber = harness.connect(node);
    subscriber.call("Subscribe", Map.of("exchange", "news", "routing_key", "all"));
    String self = "127.0.0.1:" + node.adminPort();

    // The simple request a page can send without a preflight.
    assertThat(raw(node, publishRequest(node, self, "text/plain", "Origin: https://evil.example")))
        .startsWith("HTTP/1.1 403").contains("CrossSiteRequest");
    assertThat(raw(node, publishRequest(node, self, "text/plain"))).startsWith("HTTP/1.1 415").contains("UnsupportedMediaType");
    assertThat(raw(node, publishRequest(node, self, null))).startsWith("HTTP/1.1 415");
    assertThat(status(raw(node, publishRequest(node, self, "application/json", "Sec-Fetch-Site: cross-site")))).isEqualTo(403);
    assertThat(status(raw(node, publishRequest(node, self, "application/json", "Sec-Fetch-Site: same-site")))).isEqualTo(403);
    assertThat(status(raw(node, publishRequest(node, self, "application/json", "Origin: null")))).isEqualTo(403);
    // DNS rebinding: the page's own name in Host.
    assertThat(raw(node, publishRequest(node, "evil.example:" + node.adminPort(), "application/json")))
        .startsWith("HTTP/1.1 421").contains("HostNotAllowed");
    assertThat(raw(node, "GET /status HTTP/1.1\r\nHost: evil.example:" + node.adminPort() + "\r\n\r\n")).startsWith("HTTP/1.1 421");
    assertThat(raw(node, "GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n")).startsWith("HTTP/1.1 421");
    assertThat(raw(node, "GET /status HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 421");
    assertThat(raw(node, "GET /status HTTP/1.1\r\nHost: " + self + "\r\nOrigin: https://evil.example\r\n\r\n")).startsWith("HTTP/1.1 403");
    assertThat(subscriber.poll(Duration.ofMillis(300))).isNull();

    // What the CLI, curl and scripts send still works, with every loopback Host form.
    for (String host : List.of(self, "localhost:" + node.adminPort(), "[::1]:" + node.adminPort(), "LOCALHOST", "127.0.0.1")) {
      assertThat(raw(node, publishRequest(node, host, "application/json; charset=utf-8"))).as(host).startsWith("HTTP/1.1 202");
      assertThat(subscriber.nextEvent("Forged").path("event").asText()).isEqualTo("Forged");
    }
    assertThat(raw(node, publishRequest(node, self, "application/json", "Sec-Fetch-Site: none"))).startsWith("HTTP/1.1 202");
    // Probes need no Host check: they reveal nothing.
    assertThat(raw(node, "GET /health HTTP/1.1\r\nHost: evil.example\r\n\r\n")).startsWith("HTTP/1.1 200");
  }

  @Test
  void configured_hosts_are_accepted_and_a_token_makes_the_host_check_unneeded() throws Exception {
    StandaloneNode open = harness.start(Map.of("exchanges", "news=public", "admin.allowed_hosts", "myxi-admin.internal,10.0.0.5:5006"));
    assertThat(raw(open, "GET /status HTTP/1.1\r\nHost: myxi-admin.internal\r\n\r\n")).startsWith("HTTP/1.1 200");
    assertThat(raw(open, "GET /status HTTP/1.1\r\nHost: 10.0.0.5:5006\r\n\r\n")).startsWith("HTTP/1.1 200");
    assertThat(raw(open, "GET /status HTTP/1.1\r\nHost: 10.0.0.5:5007\r\n\r\n")).startsWith("HTTP/1.1 421");

    String token = "admin-token-0123456789";
    StandaloneNode guarded = harness.start(Map.of("exchanges", "news=public", "admin.token", token));
    assertThat(raw(guarded, "GET /status HTTP/1.1\r\nHost: 10.1.2.3:5006\r\n\r\n")).startsWith("HTTP/1.1 401");
    assertThat(raw(guarded, "GET /status HTTP/1.1\r\nHost: 10.1.2.3:5006\r\nAuthorization: Bearer " + token + "\r\n\r\n")).startsWith("HTTP/1.1 200");
    assertThat(raw(guarded, "GET /status HTTP/1.1\r\nHost: 10.1.2.3:5006\r\nOrigin: https://evil.example\r\nAuthorization: Bearer " + token + "\r\n\r\n"))
        .startsWith("HTTP/1.1 403");
  }

  @Test
  void malformed_and_oversized_requests_get_an_answer_not_a_hang() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    assertThat(raw(node, "NONSENSE\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(raw(node, "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n")).startsWith("HTTP/1.1 413");
    assertThat(raw(node, "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).startsWith("HTTP/1.1 411");
    assertThat(raw(node, "GET /" + "x".repeat(AdminHttp.MAX_HEAD_BYTES) + " HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 431");
    assertThat(raw(node, "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).startsWith("HTTP/1.1 200").endsWith("\r\n\r\n");
  }
}
