package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.Myxi;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MyxiServerBuilderTest {
  private final Myxi myxi = Myxi.builder().build();

  @AfterEach
  void close() {
    myxi.close();
  }

  @Test
  void port_defaults_to_5005_and_reads_no_environment() throws Exception {
    // The library reads no environment variable (the service and the demo read MYXI_PORT, PORT and
    // MYXI_BIND_ADDRESS themselves): LibraryHygieneTest checks the sources for getenv.
    assertThat(MyxiServer.DEFAULT_PORT).isEqualTo(5005);
    try (MyxiServer server = MyxiServer.builder(myxi).bindAddress("127.0.0.1").port(0).build().start()) {
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
    assertThatThrownBy(() -> builder.reauthorizeInterval(Duration.ofSeconds(-1))).hasMessage("reauthorizeInterval must not be negative: PT-1S");
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
