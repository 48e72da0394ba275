package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.myxi.testing.RabbitMqFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link Broker} must do; run against each implementation. */
public abstract class BrokerContractTest {
  protected static final Duration TIMEOUT = Duration.ofSeconds(10);
  protected Broker broker;
  protected String exchange;

  protected abstract Broker newBroker();

  @BeforeEach
  void openBroker() {
    broker = newBroker();
    exchange = RabbitMqFixture.unique("contract");
  }

  @AfterEach
  void closeBroker() {
    broker.close();
  }

  /** Records deliveries in a queue polled with a timeout. */
  protected static final class Recorder implements NodeQueue.Listener {
    final BlockingQueue<String> deliveries = new LinkedBlockingQueue<>();
    final BlockingQueue<String> connectionEvents = new LinkedBlockingQueue<>();
    /** The names of the threads deliveries arrived on. */
    final Set<String> deliveryThreads = ConcurrentHashMap.newKeySet();

    @Override
    public void onDelivery(String exchange, String routingKey, byte[] body) {
      deliveryThreads.add(Thread.currentThread().getName());
      deliveries.add(exchange + "|" + routingKey + "|" + new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public void onDisconnected(String reason) {
      connectionEvents.add("disconnected");
    }

    @Override
    public void onRecovered(Instant downSince, Instant upAt) {
      connectionEvents.add("recovered");
    }

    String next() throws InterruptedException {
      String delivery = deliveries.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(delivery).as("a delivery within %s", TIMEOUT).isNotNull();
      return delivery;
    }

    String nextConnectionEvent() throws InterruptedException {
      String event = connectionEvents.poll(60, TimeUnit.SECONDS);
      assertThat(event).as("a connection event").isNotNull();
      return event;
    }

    /** Publishes a marker and waits for it: everything published before it has arrived by then. */
    void assertNothingBefore(Broker broker, String exchange, String markerKey) throws InterruptedException {
      broker.publish(exchange, markerKey, bytes("marker"), TIMEOUT);
      assertThat(next()).isEqualTo(exchange + "|" + markerKey + "|marker");
    }
  }

  protected static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  protected NodeQueue openConnected(Recorder recorder) throws InterruptedException {
    NodeQueue queue = broker.openNodeQueue(recorder);
    await("node queue connected").atMost(TIMEOUT).until(queue::isConnected);
    return queue;
  }

  @Test
  void bound_queue_receives_events_of_its_key_only() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "a", TIMEOUT);
    queue.bind(exchange, "marker", TIMEOUT);

    broker.publish(exchange, "b", bytes("not for us"), TIMEOUT);
    broker.publish(exchange, "a", bytes("hello"), TIMEOUT);

    assertThat(recorder.next()).isEqualTo(exchange + "|a|hello");
    recorder.assertNothingBefore(broker, exchange, "marker");
    assertThat(queue.bindings()).containsExactlyInAnyOrder(exchange + "\0a", exchange + "\0marker");
  }

  @Test
  void unbound_key_is_no_longer_delivered() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "a", TIMEOUT);
    queue.bind(exchange, "marker", TIMEOUT);
    queue.unbind(exchange, "a");

    broker.publish(exchange, "a", bytes("late"), TIMEOUT);

    recorder.assertNothingBefore(broker, exchange, "marker");
    assertThat(queue.bindings()).containsExactly(exchange + "\0marker");
  }

  @Test
  void every_node_queue_bound_to_a_key_gets_each_event_once() throws Exception {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    openConnected(first).bind(exchange, "k", TIMEOUT);
    openConnected(second).bind(exchange, "k", TIMEOUT);

    broker.publish(exchange, "k", bytes("one"), TIMEOUT);

    assertThat(first.next()).isEqualTo(exchange + "|k|one");
    assertThat(second.next()).isEqualTo(exchange + "|k|one");
    assertThat(first.deliveries.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void publishing_without_any_binding_succeeds() {
    broker.publish(exchange, "nobody", bytes("x"), TIMEOUT);
  }

  @Test
  void closed_queue_refuses_bindings_and_receives_nothing() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "a", TIMEOUT);
    queue.close();
    queue.close();

    broker.publish(exchange, "a", bytes("after close"), TIMEOUT);

    assertThat(queue.isConnected()).isFalse();
    assertThatThrownBy(() -> queue.bind(exchange, "b", TIMEOUT)).isInstanceOf(BrokerException.class);
    assertThat(recorder.deliveries.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void close_is_idempotent() {
    broker.close();
    broker.close();
  }
}
