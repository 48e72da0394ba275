package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.LogCapture;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Origin allow-list against Cross-Site WebSocket Hijacking (issue 4, item 13), with real HTTP
 * upgrade requests: exact matching, 403 at the handshake, a setting for requests without Origin,
 * and a warning when no list is configured.
 */
class OriginTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private InProcessBroker broker;
  private Myxi myxi;
  private MyxiServer server;

  private void start(Consumer<MyxiServer.Builder> settings) {
    broker = new InProcessBroker();
    myxi = new TestApp().builder(broker).build();
    MyxiServer.Builder builder = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO);
    settings.accept(builder);
    server = builder.build().start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
      myxi.close();
      broker.close();
    }
  }

  private int handshakeStatus(String origin) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    if (origin != null) {
      headers.put("Origin", origin);
    }
    try (RawWebSocket socket = RawWebSocket.connect(server.port(), headers)) {
      if (socket.status() != 101) {
        assertThat(socket.body()).contains("origin not allowed");
        assertThat(socket.header("Connection")).isEqualTo("close");
        assertThat(socket.awaitEndOfStream(WAIT)).as("closed after the refusal").isTrue();
      }
      return socket.status();
    }
  }

  @Test
  void only_exactly_listed_origins_pass_the_handshake_others_get_403() throws Exception {
    start(builder -> builder.allowedOrigins("https://app.example.com", "http://localhost:3000"));
    assertThat(handshakeStatus("https://app.example.com")).isEqualTo(101);
    assertThat(handshakeStatus("http://localhost:3000")).isEqualTo(101);
    for (String refused : new String[] {
        "https://evil.example.com", "https://app.example.com.evil.com", "https://app.example.co", "http://app.example.com",
        "https://APP.EXAMPLE.COM", "https://app.example.com:443", "https://app.example.com/", "null", "http://localhost:3001", ""}) {
      if (refused.isEmpty()) {
        continue; // An empty header is a missing Origin; see the next test.
      }
      assertThat(handshakeStatus(refused)).as(refused).isEqualTo(403);
    }
    assertThat(handshakeStatus(null)).as("no Origin, allowed by default").isEqualTo(101);
    await().atMost(WAIT).until(() -> server.stats().sessions() == 0);
    assertThat(server.stats().closes()).containsEntry("origin_refused", 9L);
  }

  @Test
  void a_browser_client_from_a_refused_origin_cannot_connect() {
    start(builder -> builder.allowedOrigins("https://app.example.com"));
    assertThatThrownBy(() -> TestClient.connectRaw(URI.create("ws://127.0.0.1:" + server.port() + "/"), Map.of("Origin", "https://evil.example.com")))
        .hasStackTraceContaining("403");
    try (TestClient allowed = TestClient.connect(server.port(), Map.of("Origin", "https://app.example.com"))) {
      assertThat(allowed.call("Ping", null).path("event").asText()).isEqualTo("Pong");
    }
  }

  @Test
  void requests_without_origin_follow_the_setting() throws Exception {
    start(builder -> builder.allowedOrigins("https://app.example.com").allowMissingOrigin(false));
    assertThat(handshakeStatus(null)).isEqualTo(403);
    assertThat(handshakeStatus("")).isEqualTo(403);
    assertThat(handshakeStatus("https://app.example.com")).isEqualTo(101);
  }

  @Test
  void without_an_allow_list_every_origin_passes_and_a_warning_is_logged_at_start() throws Exception {
    try (LogCapture logs = LogCapture.start()) {
      start(builder -> {});
      assertThat(logs.text()).contains("WARN").contains("No allowed origins configured");
    }
    assertThat(handshakeStatus("https://anywhere.example")).isEqualTo(101);
  }

  @Test
  void with_an_allow_list_no_warning_is_logged() {
    try (LogCapture logs = LogCapture.start()) {
      start(builder -> builder.allowedOrigins("https://app.example.com"));
      assertThat(logs.text()).doesNotContain("No allowed origins configured");
    }
  }

  @Test
  void refused_origins_are_summed_up_in_one_line_not_logged_one_by_one() throws Exception {
    start(builder -> builder.allowedOrigins("https://app.example.com"));
    try (LogCapture logs = LogCapture.start()) {
      for (int i = 0; i < 20; i++) {
        assertThat(handshakeStatus("https://evil.example/" + i)).isEqualTo(403);
      }
      assertThat(logs.text()).doesNotContain("evil.example");
      String summary = server.logRefusedOrigins();
      assertThat(summary).startsWith("Refused 20 WebSocket handshakes for their origin since the last summary (last: https://evil.example/19)");
      assertThat(logs.lines().stream().filter(line -> line.contains("evil.example")).count()).isEqualTo(1);
      assertThat(server.logRefusedOrigins()).isNull();
    }
  }
}
