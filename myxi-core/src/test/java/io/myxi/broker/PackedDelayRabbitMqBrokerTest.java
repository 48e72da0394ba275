package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.testing.RabbitMqFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The broker contract with packed publishing and one binding per key: nodes take packed messages
 * and single events published the gem's way alike.
 */
class PackedDelayRabbitMqBrokerTest extends BrokerContractTest {
  @Override
  protected Broker newBroker() {
    return RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName("myxi-test-packed-delay")
        .packedPublishing(Duration.ofMillis(5)).build();
  }

  @Test
  void packed_events_and_single_events_published_the_gems_way_both_arrive() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "a", TIMEOUT);
    queue.bind(exchange, "b", TIMEOUT);
    List<CompletableFuture<Void>> confirms = new ArrayList<>();
    for (int n = 0; n < 10; n++) {
      confirms.add(broker.publishAsync(exchange, n % 2 == 0 ? "a" : "b", bytes("packed-" + n), TIMEOUT));
      // Packed with them, and routed here with them, but not bound here: not passed on.
      confirms.add(broker.publishAsync(exchange, "not-here", bytes("other-" + n), TIMEOUT));
    }
    CompletableFuture.allOf(confirms.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    try (var connection = RabbitMqFixture.connectionFactory().newConnection(); var channel = connection.createChannel()) {
      channel.basicPublish(exchange, "b", null, bytes("gem"));
    }
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      got.add(recorder.next());
    }
    assertThat(got).containsSubsequence(exchange + "|a|packed-0", exchange + "|a|packed-2", exchange + "|a|packed-8")
        .containsSubsequence(exchange + "|b|packed-1", exchange + "|b|packed-9", exchange + "|b|gem");
    assertThat(recorder.deliveries.poll(300, TimeUnit.MILLISECONDS)).as("nothing of keys not bound here").isNull();
  }
}
