package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The opening handshake's response, which the node builds itself for its {@code Date} header
 * (formatted once a second, not with a {@code SimpleDateFormat} per handshake): every header a
 * client checks is as RFC 6455 and Java-WebSocket have it.
 */
class HandshakeResponseTest {
  private InProcessBroker broker;
  private Myxi myxi;
  private MyxiServer server;

  @BeforeEach
  void start() {
    broker = new InProcessBroker();
    myxi = new TestApp().builder(broker).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO)
        .build().start();
  }

  @AfterEach
  void stop() {
    server.stop();
    myxi.close();
    broker.close();
  }

  @Test
  void the_response_accepts_the_key_dates_itself_and_negotiates_no_extension() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    try (RawWebSocket socket = RawWebSocket.connect(server.port(), Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))) {
      Instant after = Instant.now().plusSeconds(1);
      assertThat(socket.status()).isEqualTo(101);
      assertThat(socket.header("Upgrade")).isEqualTo("websocket");
      assertThat(socket.header("Connection")).isEqualTo("Upgrade");
      assertThat(socket.header("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455, section 1.3
      assertThat(socket.header("Sec-WebSocket-Extensions")).isNull();
      assertThat(socket.header("Sec-WebSocket-Protocol")).isNull();
      Instant date = ZonedDateTime.parse(socket.header("Date"), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      assertThat(date).isBetween(before, after);
      assertThat(socket.header("Date")).endsWith(" GMT");
      assertThat(socket.readText()).contains("Welcome");
    }
  }

  @Test
  void a_handshake_without_a_key_is_refused() throws Exception {
    try (RawWebSocket socket = RawWebSocket.open(server.port(), 0)) {
      socket.sendRaw(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      assertThat(socket.awaitEndOfStream(Duration.ofSeconds(30))).as("closed without an upgrade").isTrue();
    }
  }
}
