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
import java.time.Duration;
import java.util.Map;
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
}
