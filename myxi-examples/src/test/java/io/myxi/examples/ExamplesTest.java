package io.myxi.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.Closer;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The examples' server sides: pages served, rules enforced, events pushed. Browsers test the pages. */
class ExamplesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final Closer closer = new Closer();

  @AfterEach
  void closeAll() throws Exception {
    closer.close();
  }

  private <T extends AutoCloseable> T track(T resource) {
    return closer.track(resource);
  }

  private static HttpResponse<String> post(int port, String pathAndQuery) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private TestClient signedIn(int port, String user) {
    TestClient client = track(TestClient.connect(port));
    assertThat(client.call("Authenticate", Map.of("token", user + "-token")).path("event").asText()).isEqualTo("Authenticated");
    return client;
  }

  @Test
  void deployment_log_streams_a_simulated_deployment_to_allowed_readers_only() throws Exception {
    DeploymentLogExample example = track(new DeploymentLogExample(track(new InProcessBroker()), "127.0.0.1", 0, 0, Duration.ofMillis(10)));
    assertThat(get(example.httpPort(), "/").body()).contains("ws://' + location.hostname + ':" + example.webSocketPort() + "/");

    TestClient bob = signedIn(example.webSocketPort(), "bob");
    assertThat(bob.call("Subscribe", Map.of("exchange", "deployment", "routing_key", "2")).path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(bob.call("Subscribe", Map.of("exchange", "deployment", "routing_key", "1")).path("event").asText()).isEqualTo("Subscribed");

    assertThat(post(example.httpPort(), "/deployments/start?id=1").statusCode()).isEqualTo(200);
    assertThat(bob.next().path("payload").path("state").asText()).isEqualTo("running");
    int lines = 0;
    JsonNode frame;
    while (!"StatusChanged".equals((frame = bob.next()).path("event").asText())) {
      assertThat(frame.path("event").asText()).isEqualTo("LogLine");
      lines++;
    }
    assertThat(lines).isEqualTo(6);
    assertThat(frame.path("payload").path("state").asText()).isEqualTo("succeeded");
    assertThat(post(example.httpPort(), "/deployments/start?id=9").statusCode()).isEqualTo(400);
  }

  @Test
  void notifications_reach_every_tab_of_the_recipient_and_nobody_else() throws Exception {
    NotificationsExample example = track(new NotificationsExample(track(new InProcessBroker()), "127.0.0.1", 0, 0));
    TestClient bobTab1 = signedIn(example.webSocketPort(), "bob");
    TestClient bobTab2 = signedIn(example.webSocketPort(), "bob");
    TestClient alice = signedIn(example.webSocketPort(), "alice");
    for (TestClient tab : List.of(bobTab1, bobTab2)) {
      assertThat(tab.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")).path("event").asText()).isEqualTo("Subscribed");
    }
    assertThat(alice.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")).path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    alice.call("Subscribe", Map.of("exchange", "users", "routing_key", "alice"));

    assertThat(post(example.httpPort(), "/share?from=alice&to=bob&item=report.pdf").statusCode()).isEqualTo(200);
    for (TestClient tab : List.of(bobTab1, bobTab2)) {
      JsonNode shared = tab.next();
      assertThat(shared.path("event").asText()).isEqualTo("Shared");
      assertThat(shared.path("payload").path("item").asText()).isEqualTo("report.pdf");
    }
    assertThat(alice.poll(Duration.ofMillis(200))).isNull();
  }

  @Test
  void two_nodes_on_rabbitmq_both_deliver_one_push() throws Exception {
    String uri = RabbitMqFixture.uri();
    TwoNodesExample example = track(new TwoNodesExample(() -> {
      RabbitMqBroker broker = RabbitMqBroker.builder().uri(uri).connectionName("myxi-example-test").build();
      broker.start();
      return (Broker) broker;
    }, "127.0.0.1", 0, 0, 0));
    assertThat(example.firstPort()).isNotEqualTo(example.secondPort());
    await("both nodes ready").atMost(Duration.ofSeconds(30)).until(example::isReady);
    TestClient onFirst = track(TestClient.connect(example.firstPort()));
    TestClient onSecond = track(TestClient.connect(example.secondPort()));
    for (TestClient client : List.of(onFirst, onSecond)) {
      assertThat(client.call("Subscribe", Map.of("exchange", "news", "routing_key", "all")).path("event").asText()).isEqualTo("Subscribed");
    }
    assertThat(post(example.httpPort(), "/push?text=hi").statusCode()).isEqualTo(200);
    assertThat(onFirst.next().path("payload").path("text").asText()).isEqualTo("hi");
    assertThat(onSecond.next().path("payload").path("text").asText()).isEqualTo("hi");
    assertThat(onFirst.poll(Duration.ofMillis(200))).isNull();
  }
}
