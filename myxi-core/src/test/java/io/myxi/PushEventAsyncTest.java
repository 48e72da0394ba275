package io.myxi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TcpProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Myxi#pushEventAsync} and {@link Myxi#pushEvents} against a real RabbitMQ: completion on
 * the broker's confirm, and the error semantics of {@link Myxi#pushEvent} (broker down, no confirm
 * in time, basic.nack), as a failed future with a {@link PublishException}.
 */
class PushEventAsyncTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String name = RabbitMqFixture.unique("async");
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Connection raw;
  private Channel channel;

  @BeforeEach
  void connect() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    raw = factory.newConnection("myxi-async-test");
    channel = raw.createChannel();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    channel.exchangeDelete(name);
    raw.close();
  }

  private Myxi myxi(String uri, Duration publishTimeout) {
    RabbitMqBroker broker = RabbitMqBroker.builder().uri(uri).connectionName(name).build();
    Myxi myxi = Myxi.builder().broker(broker).exchange(name, Authorizer.authenticated()).publishTimeout(publishTimeout).build();
    closing.add(0, broker);
    closing.add(0, myxi);
    return myxi;
  }

  /** A queue of our own bound to {@code key} (the exchange is declared by a first publish). */
  private BlockingQueue<String> consume(Myxi myxi, String key, Map<String, Object> queueArguments) throws Exception {
    myxi.pushEvent(name, "declare-" + key, "Declare", null);
    String queue = channel.queueDeclare("", false, true, true, queueArguments).getQueue();
    channel.queueBind(queue, name, key);
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    channel.basicConsume(queue, true, (tag, delivery) -> received.add(new String(delivery.getBody(), StandardCharsets.UTF_8)), tag -> {});
    return received;
  }

  private static PublishException publishFailure(CompletableFuture<Void> future) {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(PublishException.class);
      return (PublishException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the future did not fail within 30 s", e);
    }
    throw new AssertionError("the future completed normally");
  }

  @Test
  void completes_on_the_confirm_and_the_event_arrives() throws Exception {
    Myxi myxi = myxi(RabbitMqFixture.uri(), Duration.ofSeconds(5));
    BlockingQueue<String> received = consume(myxi, "k", null);

    myxi.pushEventAsync(name, "k", "Updated", Map.of("n", 1)).get(10, TimeUnit.SECONDS);

    assertThat(JSON.readTree(received.poll(10, TimeUnit.SECONDS))).isEqualTo(JSON.readTree("{\"event\":\"Updated\",\"payload\":{\"n\":1}}"));
  }

  @Test
  void a_batch_completes_when_all_are_confirmed_and_arrives_in_order() throws Exception {
    Myxi myxi = myxi(RabbitMqFixture.uri(), Duration.ofSeconds(5));
    BlockingQueue<String> received = consume(myxi, "k", null);
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      events.add(Event.of(name, "k", "N", i));
    }

    myxi.pushEvents(events).get(30, TimeUnit.SECONDS);

    for (int i = 0; i < 500; i++) {
      assertThat(JSON.readTree(received.poll(10, TimeUnit.SECONDS)).get("payload").asInt()).isEqualTo(i);
    }
  }

  @Test
  void many_in_flight_from_one_thread() throws Exception {
    Myxi myxi = myxi(RabbitMqFixture.uri(), Duration.ofSeconds(10));
    myxi.pushEvent(name, "warm-up", "N", 0);
    int events = 20_000;
    long started = System.nanoTime();
    List<CompletableFuture<Void>> futures = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      futures.add(myxi.pushEventAsync(name, "nobody-" + (i % 100), "N", i));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    double perSecond = events / ((System.nanoTime() - started) / 1e9);
    System.out.printf("FIGURE pushEventAsync_confirmed_per_s=%.0f (%d events, one thread, shared machine)%n", perSecond, events);

    started = System.nanoTime();
    List<CompletableFuture<Void>> batches = new ArrayList<>();
    for (int b = 0; b < events / 100; b++) {
      List<Event> batch = new ArrayList<>(100);
      for (int i = 0; i < 100; i++) {
        batch.add(Event.of(name, "nobody-" + i, "N", i));
      }
      batches.add(myxi.pushEvents(batch));
    }
    CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    perSecond = events / ((System.nanoTime() - started) / 1e9);
    System.out.printf("FIGURE pushEvents_confirmed_per_s=%.0f (%d events in batches of 100, shared machine)%n", perSecond, events);
  }

  @Test
  void a_nack_fails_the_future() throws Exception {
    Myxi myxi = myxi(RabbitMqFixture.uri(), Duration.ofSeconds(5));
    // A queue that holds one message and refuses more makes RabbitMQ answer basic.nack.
    consume(myxi, "full", Map.of("x-max-length", 0, "x-overflow", "reject-publish"));

    PublishException failure = publishFailure(myxi.pushEventAsync(name, "full", "N", 1));

    assertThat(failure.getMessage()).contains("basic.nack");
    assertThat(failure.exchange()).isEqualTo(name);
    assertThat(failure.routingKey()).isEqualTo("full");
    // The publisher goes on: the next event to another key is confirmed.
    myxi.pushEventAsync(name, "other", "N", 2).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> myxi.pushEvent(name, "full", "N", 3)).isInstanceOf(PublishException.class).hasMessageContaining("basic.nack");
  }

  @Test
  void broker_down_fails_the_future_at_once() throws Exception {
    TcpProxy proxy = TcpProxy.toRabbitMq();
    closing.add(proxy);
    proxy.rejectNew(true);
    Myxi myxi = myxi(proxy.amqpUri(), Duration.ofSeconds(5));

    long started = System.nanoTime();
    PublishException failure = publishFailure(myxi.pushEventAsync(name, "k", "N", 1));

    assertThat(failure.getMessage()).contains("not connected to RabbitMQ");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(5_000);
    assertThat(publishFailure(myxi.pushEvents(List.of(Event.of(name, "a", "N", 1), Event.of(name, "b", "N", 2)))).getMessage())
        .contains("not connected to RabbitMQ");
  }

  @Test
  void no_confirm_in_time_fails_the_future_within_the_publish_timeout() throws Exception {
    TcpProxy proxy = TcpProxy.toRabbitMq();
    closing.add(proxy);
    Duration timeout = Duration.ofMillis(500);
    Myxi myxi = myxi(proxy.amqpUri(), timeout);
    myxi.pushEvent(name, "k", "N", 0); // connected
    proxy.blackhole();

    long started = System.nanoTime();
    PublishException failure = publishFailure(myxi.pushEventAsync(name, "k", "N", 1));
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    assertThat(failure.getMessage()).contains("no confirm within 500 ms");
    assertThat(elapsed).isBetween(400L, 3_000L);
    assertThatThrownBy(() -> myxi.pushEvent(name, "k", "N", 2)).isInstanceOf(PublishException.class).hasMessageContaining("no confirm within 500 ms");
  }

  @Test
  void invalid_arguments_are_thrown_at_once() {
    Myxi myxi = myxi(RabbitMqFixture.uri(), Duration.ofSeconds(5));
    assertThatThrownBy(() -> myxi.pushEventAsync("unknown", "k", "N", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> myxi.pushEventAsync(name, "k".repeat(256), "N", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> myxi.pushEvents(List.of(Event.of(name, "k", "N", 1), Event.of("unknown", "k", "N", 1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(myxi.pushEvents(List.of())).isCompleted();
  }
}
