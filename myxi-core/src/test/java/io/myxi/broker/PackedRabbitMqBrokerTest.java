package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.testing.RabbitMqFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The broker contract with packed publishing and routing buckets (every publisher and node a
 * Myxi one): keys share buckets, yet a queue passes on only the events of its own keys, each once.
 */
class PackedRabbitMqBrokerTest extends BrokerContractTest {
  private static final int BUCKETS = 16;

  @Override
  protected Broker newBroker() {
    return RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName("myxi-test-packed")
        .packedPublishing(Duration.ofMillis(2)).routingBuckets(BUCKETS).build();
  }

  @Test
  void many_keys_published_at_once_arrive_once_each_in_order_per_key_over_at_most_one_binding_per_bucket() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    List<NodeQueue.Change> binds = new ArrayList<>();
    for (int k = 0; k < 100; k += 2) {
      binds.add(new NodeQueue.Change(exchange, "user-" + k, true));
    }
    assertThat(queue.apply(binds, TIMEOUT)).containsOnlyNulls();
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      long bound = RabbitMqFixture.bindings().stream().filter(row -> row[0].equals(exchange)).count();
      assertThat(bound).isBetween(1L, (long) BUCKETS);
    }

    List<CompletableFuture<Void>> confirms = new ArrayList<>();
    for (int n = 0; n < 20; n++) {
      for (int k = 0; k < 100; k++) {
        confirms.add(broker.publishAsync(exchange, "user-" + k, bytes(k + ":" + n), TIMEOUT));
      }
    }
    CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

    Map<String, Integer> nextPerKey = new HashMap<>();
    for (int i = 0; i < 50 * 20; i++) {
      String[] delivery = recorder.next().split("\\|");
      assertThat(delivery[0]).isEqualTo(exchange);
      String[] body = delivery[2].split(":");
      assertThat(delivery[1]).isEqualTo("user-" + body[0]);
      assertThat(Integer.parseInt(body[0]) % 2).as("only keys bound here").isZero();
      int expected = nextPerKey.getOrDefault(delivery[1], 0);
      assertThat(Integer.parseInt(body[1])).as("order of %s", delivery[1]).isEqualTo(expected);
      nextPerKey.put(delivery[1], expected + 1);
    }
    assertThat(recorder.deliveries.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void a_packed_message_that_is_invalid_is_dropped_and_the_next_ones_arrive() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "a", TIMEOUT);
    try (var connection = io.myxi.testing.RabbitMqFixture.connectionFactory().newConnection(); var channel = connection.createChannel()) {
      var properties = new com.rabbitmq.client.AMQP.BasicProperties.Builder().type("myxi.packed.v1").build();
      String bucket = io.myxi.broker.internal.PackedEvents.bucketKey("a", BUCKETS);
      channel.basicPublish(exchange, bucket, properties, "garbage".getBytes(StandardCharsets.UTF_8));
    }
    broker.publish(exchange, "a", bytes("after"), TIMEOUT);
    assertThat(recorder.next()).isEqualTo(exchange + "|a|after");
  }
}
