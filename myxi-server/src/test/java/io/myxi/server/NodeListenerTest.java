package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The observability seam: what a NodeListener sees, and that a throwing one harms nothing. */
class NodeListenerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InProcessBroker broker = new InProcessBroker();
  private final TestApp app = new TestApp();
  private final Myxi myxi = app.builder(broker).build();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  /** Records every call as one line. */
  private final NodeListener recording = new NodeListener() {
    @Override
    public void sessionOpened(Session session) {
      seen.add("opened");
    }

    @Override
    public void sessionClosed(Session session, SessionCloseReason reason) {
      seen.add("closed " + reason);
    }

    @Override
    public void connectionRefused(ConnectionRefusal reason) {
      seen.add("refused " + reason);
    }

    @Override
    public void deliveryDropped(String exchange, String routingKey, DropReason reason) {
      seen.add("dropped " + reason + " " + routingKey);
    }

    @Override
    public void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {
      seen.add("action " + action + " " + outcome);
    }

    @Override
    public void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {
      seen.add("authorization " + exchange + " " + routingKey + " " + allowed);
    }

    @Override
    public void bindingAdded(String exchange, String routingKey) {
      seen.add("bound " + exchange.substring(app.prefix.length()) + " " + routingKey);
    }

    @Override
    public void bindingRemoved(String exchange, String routingKey) {
      seen.add("unbound " + exchange.substring(app.prefix.length()) + " " + routingKey);
    }
  };

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    myxi.close();
    broker.close();
  }

  private MyxiServer start(NodeListener listener, int maxConnections) {
    MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO)
        .maxConnections(maxConnections).listener(listener).build().start();
    closeables.add(server);
    return server;
  }

  private TestClient connect(MyxiServer server) {
    TestClient client = TestClient.connect(server.port());
    closeables.add(client::close);
    return client;
  }

  @Test
  void reports_sessions_actions_authorizations_bindings_drops_and_refusals() throws Exception {
    MyxiServer server = start(recording, 1);
    TestClient client = connect(server);
    assertThat(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "k")).path("event").asText()).isEqualTo("Subscribed");
    assertThat(client.call("Secret", Map.of()).path("payload").path("error").asText()).isEqualTo("AuthRequired");
    assertThat(client.call("Boom", Map.of()).path("event").asText()).isEqualTo("InternalError");
    broker.publish(app.prefix + "public", "k", "not json".getBytes(), WAIT);
    TestClient refused = TestClient.connectRaw(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/"), Map.of());
    closeables.add(refused::close);
    refused.awaitClose(WAIT);
    assertThat(client.call("Unsubscribe", Map.of("exchange", "public", "routing_key", "k")).path("event").asText()).isEqualTo("Unsubscribed");
    client.close();

    await().atMost(WAIT).until(() -> seen.stream().anyMatch(line -> line.startsWith("closed")));
    // The bind is confirmed by the binding thread, so it is reported before or after the Subscribe
    // action returns (which hands its lane over to the bind): only its place before the unbind is fixed.
    assertThat(seen).containsSubsequence("authorization public k true", "bound public k", "unbound public k");
    assertThat(seen).containsSubsequence(
        "opened",
        "authorization public k true",
        "action Subscribe COMPLETED",
        "action Secret AUTH_REQUIRED",
        "action Boom FAILED",
        "unbound public k",
        "action Unsubscribe COMPLETED");
    assertThat(seen).contains("dropped INVALID_BODY k", "refused TOO_MANY_CONNECTIONS");
    // The close comes from the WebSocket thread, in any order with the lane's last report; the
    // test client sends its close frame and then drops the socket, so either reason is right.
    assertThat(seen).containsAnyOf("closed CLIENT_CLOSED", "closed CONNECTION_LOST");
    assertThat(server.stats().closes()).containsEntry(ConnectionRefusal.TOO_MANY_CONNECTIONS.key(), 1L);
    assertThat(server.stats().deliveriesDropped()).containsEntry(DropReason.INVALID_BODY.key(), 1L);
  }

  @Test
  void a_listener_that_throws_changes_nothing_for_clients() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    NodeListener throwing = new NodeListener() {
      @Override
      public void sessionOpened(Session session) {
        calls.incrementAndGet();
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {
        calls.incrementAndGet();
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void bindingAdded(String exchange, String routingKey) {
        calls.incrementAndGet();
        throw new IllegalStateException("listener bug");
      }
    };
    MyxiServer server = start(throwing, 0);
    TestClient client = connect(server);
    assertThat(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "k")).path("event").asText()).isEqualTo("Subscribed");
    myxi.pushEvent("public", "k", "Hello", Map.of());
    assertThat(client.nextEvent("Hello").path("mq").path("rk").asText()).isEqualTo("k");
    assertThat(client.call("Ping", Map.of()).path("event").asText()).isEqualTo("Pong");
    assertThat(calls.get()).as("opened, bound, Subscribe at least").isGreaterThanOrEqualTo(3);
  }
}
