package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.Myxi;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MyxiServerBuilderTest {
  private final Myxi myxi = Myxi.builder().build();

  @AfterEach
  void close() {
    myxi.close();
  }

  private MyxiServer.Builder withEnvironment(Map<String, String> environment) {
    return MyxiServer.builder(myxi, environment::get);
  }

  @Test
  void port_comes_from_myxi_port_then_port_then_5005() throws Exception {
    int free;
    try (ServerSocket socket = new ServerSocket(0)) {
      free = socket.getLocalPort();
    }
    try (MyxiServer server = withEnvironment(Map.of("MYXI_PORT", String.valueOf(free), "PORT", "1")).bindAddress("127.0.0.1").build().start()) {
      assertThat(server.port()).isEqualTo(free);
    }
    assertThatThrownBy(() -> withEnvironment(Map.of("PORT", "http")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORT must be a port number in 0..65535: http");
    assertThat(MyxiServer.DEFAULT_PORT).isEqualTo(5005);
  }

  @Test
  void bind_address_comes_from_myxi_bind_address() {
    try (MyxiServer server = withEnvironment(Map.of("MYXI_BIND_ADDRESS", "127.0.0.1")).port(0).build().start()) {
      assertThat(server.port()).isPositive();
      assertThat(server.isReady()).isTrue();
    }
  }

  @Test
  void a_taken_port_fails_start_with_the_address() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      MyxiServer server = MyxiServer.builder(myxi).bindAddress("127.0.0.1").port(taken.getLocalPort()).build();
      assertThatThrownBy(server::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Could not listen on /127.0.0.1:" + taken.getLocalPort());
      server.stop();
    }
  }

  @Test
  void builder_rejects_bad_values_with_exact_messages() {
    MyxiServer.Builder builder = MyxiServer.builder(myxi);
    assertThatThrownBy(() -> builder.port(70000)).hasMessage("port must be in 0..65535: 70000");
    assertThatThrownBy(() -> builder.touchInterval(Duration.ofSeconds(-1))).hasMessage("touchInterval must not be negative: PT-1S");
    assertThatThrownBy(() -> builder.connectionLostTimeout(Duration.ZERO)).hasMessage("connectionLostTimeout must be positive: PT0S");
    assertThatThrownBy(() -> builder.maxMessageBytes(10)).hasMessage("maxMessageBytes must be at least 256: 10");
    assertThatThrownBy(() -> builder.trustedProxies("not an address!")).hasMessageStartingWith("trusted proxy is not an address: not an address!");
    assertThatThrownBy(() -> MyxiServer.builder(null)).isInstanceOf(NullPointerException.class).hasMessage("myxi == null");
  }

  @Test
  void start_and_stop_are_idempotent_and_a_stopped_server_cannot_restart() {
    MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).build();
    server.start();
    server.start();
    server.stop();
    server.stop();
    assertThat(server.isReady()).isFalse();
    assertThatThrownBy(server::start).hasMessage("server was stopped; build a new one");
  }
}
