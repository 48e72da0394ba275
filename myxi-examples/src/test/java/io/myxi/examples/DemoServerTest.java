package io.myxi.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.server.MyxiServer;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The demo behaves as the README says, on both brokers. */
class DemoServerTest {
  private static Broker broker(String kind) {
    if (kind.equals("in-process")) {
      return new InProcessBroker();
    }
    RabbitMqBroker broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName("myxi-demo-test").build();
    broker.start();
    return broker;
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "rabbitmq"})
  void demo_authenticates_says_hello_and_guards_its_exchanges(String kind) {
    try (Broker broker = broker(kind);
        Myxi myxi = DemoServer.buildMyxi(broker);
        MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).build().start();
        TestClient client = TestClient.connect(server.port())) {
      await("node ready").atMost(Duration.ofSeconds(30)).until(server::isReady);
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1")).path("payload").path("error").asText())
          .isEqualTo("SubscriptionDenied");
      assertThat(client.call("Authenticate", Map.of("token", "mallory")).path("payload").path("error").asText())
          .isEqualTo("InvalidAuthentication");
      JsonNode authenticated = client.call("Authenticate", Map.of("token", "alice-token"));
      assertThat(authenticated.path("event").asText()).isEqualTo("Authenticated");
      assertThat(authenticated.path("payload").path("user").asText()).isEqualTo("alice");
      assertThat(client.call("SayHello", null).path("event").asText()).isEqualTo("HelloThere");
      assertThat(client.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")).path("payload").path("error").asText())
          .isEqualTo("SubscriptionDenied");
      assertThat(client.call("Subscribe", Map.of("exchange", "users", "routing_key", "alice")).path("event").asText()).isEqualTo("Subscribed");
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1")).path("event").asText()).isEqualTo("Subscribed");

      myxi.pushEvent("users", "alice", "Shared", Map.of("from", "bob"));
      JsonNode shared = client.next();
      assertThat(shared.path("event").asText()).isEqualTo("Shared");
      assertThat(shared.path("mq").path("e").asText()).isEqualTo("users");
    }
  }

  @Test
  void the_demo_page_serves_myxi_js_and_its_button_and_ticker_push_to_a_subscriber() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    try (Broker broker = new InProcessBroker();
        Myxi myxi = DemoServer.buildMyxi(broker);
        MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").shutdownWindow(Duration.ZERO).build().start();
        ExampleWebServer page = DemoServer.demoPage(myxi, "127.0.0.1", 0, server.port());
        TestClient client = TestClient.connect(server.port())) {
      String base = "http://127.0.0.1:" + page.port();
      String html = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(html).contains("':" + server.port() + "/'", "<script src=\"/myxi.js\"></script>");
      HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create(base + "/myxi.js")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(script.statusCode()).isEqualTo(200);
      assertThat(script.body()).contains("Connection");

      client.call("Authenticate", Map.of("token", "alice-token"));
      assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1234")).path("event").asText()).isEqualTo("Subscribed");
      HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(URI.create(base + "/push")).POST(HttpRequest.BodyPublishers.ofString("name=Gear"))
          .header("Content-Type", "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(pushed.statusCode()).isEqualTo(200);
      JsonNode updated = client.next();
      assertThat(updated.path("event").asText()).isEqualTo("WidgetUpdated");
      assertThat(updated.path("payload").path("name").asText()).isEqualTo("Gear");

      ScheduledExecutorService ticker = DemoServer.startTicker(myxi);
      try {
        JsonNode tick = client.next();
        assertThat(tick.path("event").asText()).isEqualTo("Tick");
        assertThat(tick.path("payload").path("n").asInt()).isEqualTo(1);
      } finally {
        ticker.shutdownNow();
      }
    }
  }
}
