package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Session.execute and Session.reauthorize run in the session's order, behind its actions. */
class SessionLaneTest {
  private final InProcessBroker broker = new InProcessBroker();
  private final TestApp app = new TestApp();
  private final CountDownLatch actionEntered = new CountDownLatch(1);
  private final CountDownLatch releaseAction = new CountDownLatch(1);
  private final List<String> order = new CopyOnWriteArrayList<>();
  private Myxi myxi;
  private MyxiServer server;
  private TestClient client;

  @BeforeEach
  void start() {
    myxi = app.builder(broker).action("Hold", request -> {
      actionEntered.countDown();
      try {
        releaseAction.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      order.add("action");
      request.reply("Held", Map.of());
    }).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start();
    client = TestClient.connect(server.port());
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop();
    myxi.close();
    broker.close();
  }

  @Test
  void execute_runs_after_the_action_that_is_running() throws Exception {
    Session session = server.session(client.sessionId()).orElseThrow();
    client.action("Hold", Map.of());
    assertThat(actionEntered.await(10, TimeUnit.SECONDS)).isTrue();
    CountDownLatch ran = new CountDownLatch(1);
    session.execute(() -> {
      order.add("task");
      ran.countDown();
    });
    assertThat(ran.await(200, TimeUnit.MILLISECONDS)).as("the task waits for the action").isFalse();
    releaseAction.countDown();
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("action", "task");
  }

  @Test
  void reauthorize_revokes_in_the_sessions_order() throws Exception {
    app.revocableAllowed.add("k");
    assertThat(client.call("Subscribe", Map.of("exchange", "revocable", "routing_key", "k")).path("event").asText()).isEqualTo("Subscribed");
    Session session = server.session(client.sessionId()).orElseThrow();
    app.revocableAllowed.remove("k");
    session.reauthorize();
    var unsubscribed = client.nextEvent("Unsubscribed");
    assertThat(unsubscribed.path("payload").path("auto").asBoolean()).isTrue();
    assertThat(session.subscriptions()).isEmpty();
  }
}
