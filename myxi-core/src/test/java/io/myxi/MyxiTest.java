package io.myxi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.myxi.broker.BrokerException;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.NodeQueue;
import io.myxi.broker.RabbitMqBroker;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MyxiTest {
  @Test
  void push_to_an_unregistered_exchange_names_it() {
    try (Myxi myxi = Myxi.builder().exchange("widgets", Authorizer.allowAll()).build()) {
      assertThatThrownBy(() -> myxi.pushEvent("gadgets", "1", "Updated", Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Unknown exchange 'gadgets': register it with Myxi.Builder.exchange(name, authorizer)");
    }
  }

  @Test
  void push_sends_the_gem_body_to_the_prefixed_exchange() throws Exception {
    InProcessBroker broker = new InProcessBroker();
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    NodeQueue queue = broker.openNodeQueue((exchange, key, body) -> received.add(exchange + " " + key + " " + new String(body, StandardCharsets.UTF_8)));
    queue.bind("staging.widgets", "42", Duration.ofSeconds(1));
    try (Myxi myxi = Myxi.builder().broker(broker).exchangePrefix("staging.").exchange("widgets", Authorizer.allowAll()).build()) {
      myxi.pushEvent("widgets", "42", "Updated", Map.of("name", "bolt"));
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("staging.widgets 42 {\"event\":\"Updated\",\"payload\":{\"name\":\"bolt\"}}");
      assertThat(myxi.exchangeByBrokerName("staging.widgets")).map(ExchangeDefinition::name).contains("widgets");
    }
    broker.close();
  }

  record Deploy(String appName, int step) {}

  @Test
  void push_writes_the_payload_as_the_application_mapper_does_but_never_root_wrapped() throws Exception {
    InProcessBroker broker = new InProcessBroker();
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    NodeQueue queue = broker.openNodeQueue((exchange, key, body) -> received.add(new String(body, StandardCharsets.UTF_8)));
    queue.bind("widgets", "1", Duration.ofSeconds(1));
    ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).enable(SerializationFeature.WRAP_ROOT_VALUE);
    try (Myxi myxi = Myxi.builder().broker(broker).objectMapper(mapper).exchange("widgets", Authorizer.allowAll()).build()) {
      myxi.pushEvent("widgets", "1", "Deployed", new Deploy("shop", 3));
      myxi.pushEvent("widgets", "1", "Nothing", null);
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("{\"event\":\"Deployed\",\"payload\":{\"app_name\":\"shop\",\"step\":3}}");
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("{\"event\":\"Nothing\",\"payload\":null}");
    }
    broker.close();
  }

  @Test
  void push_failure_is_a_publish_exception_naming_exchange_and_cause() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uri("amqp://127.0.0.1:" + closedPort).build();
        Myxi myxi = Myxi.builder().broker(broker).publishTimeout(Duration.ofMillis(500)).exchange("widgets", Authorizer.allowAll()).build()) {
      assertThatThrownBy(() -> myxi.pushEvent("widgets", "7", "Updated", null))
          .isInstanceOf(PublishException.class)
          .hasMessageStartingWith("Could not publish to exchange 'widgets' with routing key '7': not connected to RabbitMQ")
          .hasCauseInstanceOf(BrokerException.class);
    }
  }

  @Test
  void builder_rejects_bad_arguments_with_exact_messages() {
    assertThatThrownBy(() -> Myxi.builder().action("Subscribe", request -> {}))
        .hasMessage("action 'Subscribe' is built in and cannot be registered");
    assertThatThrownBy(() -> Myxi.builder().action("", request -> {}))
        .hasMessage("action name is empty");
    assertThatThrownBy(() -> Myxi.builder().exchange("w", Authorizer.allowAll()).exchange("w", Authorizer.allowAll()))
        .hasMessage("exchange 'w' is already registered");
    assertThatThrownBy(() -> Myxi.builder().exchange("w", null))
        .isInstanceOf(NullPointerException.class).hasMessage("authorizer == null");
    assertThatThrownBy(() -> Myxi.builder().publishTimeout(Duration.ZERO))
        .hasMessage("publishTimeout must be positive: PT0S");
    assertThatThrownBy(() -> Myxi.builder().exchange("x".repeat(256), Authorizer.allowAll()))
        .hasMessageStartingWith("exchange name longer than 255 bytes");
  }

  @Test
  void close_is_idempotent_and_push_after_close_fails() {
    Myxi myxi = Myxi.builder().exchange("widgets", Authorizer.allowAll()).build();
    myxi.close();
    myxi.close();
    assertThatThrownBy(() -> myxi.pushEvent("widgets", "1", "E", null)).hasMessage("This Myxi instance is closed");
  }

  @Test
  void exchange_names_with_grant_syntax_are_refused_at_registration() {
    for (String name : java.util.List.of("team:1", "team*", "*")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Myxi.builder().exchange(name, Authorizer.allowAll()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("without ':' or '*'");
    }
  }
}
