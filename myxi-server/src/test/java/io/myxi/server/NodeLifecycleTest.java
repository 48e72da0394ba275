package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.myxi.CloseCodes;
import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.server.NodeHealth.State;
import io.myxi.testing.TestClient;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Addresses behind proxies, the graceful drain and the health it reports on the way. */
class NodeLifecycleTest {
  private final Myxi myxi = Myxi.builder().build();

  @AfterEach
  void close() {
    myxi.close();
  }

  @Test
  void x_forwarded_for_is_believed_only_from_trusted_proxies() {
    try (MyxiServer trusting = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").trustedProxies("127.0.0.1").shutdownWindow(Duration.ZERO).build().start();
        MyxiServer plain = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).build().start();
        TestClient behindProxy = TestClient.connect(trusting.port(), Map.of("X-Forwarded-For", "198.51.100.9, 203.0.113.7"));
        TestClient forged = TestClient.connect(plain.port(), Map.of("X-Forwarded-For", "203.0.113.7"))) {
      assertThat(trusting.session(behindProxy.sessionId()).orElseThrow().remoteAddress().getHostAddress()).isEqualTo("203.0.113.7");
      assertThat(plain.session(forged.sessionId()).orElseThrow().remoteAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void stop_refuses_new_sessions_and_closes_open_ones_spread_over_the_window() throws Exception {
    Duration window = Duration.ofMillis(1500);
    MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(window).build().start();
    List<TestClient> clients = new ArrayList<>();
    List<CompletableFuture<Long>> closedAt = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      TestClient client = TestClient.connect(server.port());
      clients.add(client);
      closedAt.add(CompletableFuture.supplyAsync(() -> {
        int code = client.awaitClose(Duration.ofSeconds(30));
        assertThat(code).isEqualTo(CloseCodes.GOING_AWAY);
        return System.nanoTime();
      }));
    }
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
    List<Long> times = new ArrayList<>();
    for (CompletableFuture<Long> time : closedAt) {
      times.add(time.get(30, TimeUnit.SECONDS));
    }
    stopping.get(30, TimeUnit.SECONDS);
    long spreadMillis = TimeUnit.NANOSECONDS.toMillis(times.stream().mapToLong(Long::longValue).max().orElseThrow() - times.stream().mapToLong(Long::longValue).min().orElseThrow());
    System.out.println("FIGURE drain_spread_ms=" + spreadMillis + " window_ms=" + window.toMillis());
    assertThat(spreadMillis).as("closes are spread, not all at once").isGreaterThan(window.toMillis() / 2);
    assertThat(server.isReady()).isFalse();
    clients.forEach(TestClient::close);
  }

  @Test
  void health_follows_the_life_cycle_from_not_started_to_ready_draining_and_stopped() throws Exception {
    MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ofMillis(1500)).build();
    assertThat(server.health()).isEqualTo(new NodeHealth(State.NOT_STARTED, false, 0));
    server.start();
    assertThat(server.awaitReady(Duration.ofSeconds(10))).isTrue();
    TestClient first = TestClient.connect(server.port());
    TestClient second = TestClient.connect(server.port());
    assertThat(server.health()).isEqualTo(new NodeHealth(State.READY, true, 2));
    assertThat(server.health().ready()).isTrue();

    // Two sessions over a 1.5 s window: the second closes at its end, so the drain is seen.
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.health().draining());
    assertThat(server.isReady()).isFalse();
    stopping.get(30, TimeUnit.SECONDS);
    assertThat(server.health()).isEqualTo(new NodeHealth(State.STOPPED, false, 0));
    assertThat(first.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.GOING_AWAY);
    assertThat(second.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.GOING_AWAY);
  }

  @Test
  void health_says_broker_disconnected_while_the_node_queue_cannot_connect() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uri("amqp://guest:guest@127.0.0.1:" + closedPort).build();
        Myxi unreachable = Myxi.builder().broker(broker).build();
        MyxiServer server = MyxiServer.builder(unreachable).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).build().start()) {
      NodeHealth health = server.health();
      assertThat(health.state()).isEqualTo(State.BROKER_DISCONNECTED);
      assertThat(health.brokerConnected()).isFalse();
      assertThat(health.ready()).isFalse();
      assertThat(server.isReady()).isFalse();
    }
  }
}
