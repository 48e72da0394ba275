package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.testing.LogCapture;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TcpProxy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Broker faults injected for real (issue 4, items 1 to 6) against {@link RabbitMqBroker}: force
 * closed connections, a TCP proxy that cuts or silently drops the link, an absent broker, a deleted
 * queue, a channel closed by the broker, throwing listeners and the memory alarm.
 */
class RabbitMqFaultTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final String connectionName = RabbitMqFixture.unique("myxi-fault-test");
  private String exchange;
  private RabbitMqBroker broker;
  private RabbitMqBroker publisher;
  private TcpProxy proxy;

  @BeforeEach
  void setUp() {
    exchange = RabbitMqFixture.unique("fault");
    publisher = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName + "-publisher").build();
  }

  @AfterEach
  void tearDown() {
    if (broker != null) {
      broker.close();
    }
    publisher.close();
    if (proxy != null) {
      proxy.close();
    }
  }

  private RabbitMqBroker.Builder fastRecovery(String uri) {
    return RabbitMqBroker.builder().uri(uri).connectionName(connectionName)
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofSeconds(1));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Records deliveries and connection events. */
  static final class Recorder implements NodeQueue.Listener {
    final BlockingQueue<String> deliveries = new LinkedBlockingQueue<>();
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final AtomicReference<Instant[]> lastRecovery = new AtomicReference<>();
    volatile RuntimeException throwOnDelivery;
    volatile Error errorOnDelivery;
    volatile String disconnectedOn;

    @Override
    public void onDelivery(String exchange, String routingKey, byte[] body) {
      String text = new String(body, StandardCharsets.UTF_8);
      if (text.startsWith("throw") && throwOnDelivery != null) {
        throw throwOnDelivery;
      }
      if (text.startsWith("error") && errorOnDelivery != null) {
        throw errorOnDelivery;
      }
      deliveries.add(routingKey + "|" + text);
    }

    @Override
    public void onDisconnected(String reason) {
      disconnectedOn = Thread.currentThread().getName();
      events.add("disconnected");
    }

    @Override
    public void onRecovered(Instant downSince, Instant upAt) {
      lastRecovery.set(new Instant[] {downSince, upAt});
      events.add("recovered");
    }

    String nextDelivery() throws InterruptedException {
      String delivery = deliveries.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(delivery).as("a delivery").isNotNull();
      return delivery;
    }

    String nextEvent() throws InterruptedException {
      String event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("a connection event").isNotNull();
      return event;
    }
  }

  private NodeQueue openBound(Recorder recorder, String... keys) {
    NodeQueue queue = broker.openNodeQueue(recorder);
    await("node queue connected").atMost(WAIT).until(queue::isConnected);
    for (String key : keys) {
      queue.bind(exchange, key, WAIT);
    }
    return queue;
  }

  /** Publishes on the healthy publisher connection until the recorder sees the marker. */
  private void assertFlowing(Recorder recorder, String key) throws InterruptedException {
    String marker = "marker-" + System.nanoTime();
    publisher.publish(exchange, key, bytes(marker), WAIT);
    String delivery;
    do {
      delivery = recorder.nextDelivery();
    } while (!delivery.equals(key + "|" + marker));
  }

  private void assertBoundOnBroker(String queueName, String... keys) throws Exception {
    if (!RabbitMqFixture.rabbitmqctlAvailable()) {
      return;
    }
    await("bindings of " + queueName + " on the broker").atMost(WAIT).untilAsserted(() -> {
      String[] bound = RabbitMqFixture.bindings().stream()
          .filter(row -> row[0].equals(exchange) && row[1].equals(queueName))
          .map(row -> row[2]).sorted().toArray(String[]::new);
      String[] expected = keys.clone();
      Arrays.sort(expected);
      assertThat(bound).containsExactly(expected);
    });
  }

  @Test
  void force_closed_connection_recovers_queue_and_every_binding() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    broker = fastRecovery(RabbitMqFixture.uri()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "a", "b", "c");
    String before = queue.name();

    assertThat(RabbitMqFixture.closeConnections(connectionName, "fault test")).isEqualTo(1);

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    assertThat(queue.name()).isNotNull().isNotEqualTo(before);
    assertBoundOnBroker(queue.name(), "a", "b", "c");
    for (String key : new String[] {"a", "b", "c"}) {
      assertFlowing(recorder, key);
    }
    assertThat(broker.reconnects()).isEqualTo(1);
    Instant[] window = recorder.lastRecovery.get();
    assertThat(window[0]).isBefore(window[1]);
  }

  @Test
  void memory_alarm_fails_publishing_within_its_bound_and_delivery_resumes_after() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    broker = fastRecovery(RabbitMqFixture.uri()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "k");
    assertFlowing(recorder, "k");
    Duration bound = Duration.ofSeconds(2);

    RabbitMqFixture.withMemoryAlarm(() -> {
      for (int attempt = 0; attempt < 3; attempt++) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> broker.publish(exchange, "k", bytes("during alarm"), bound))
            .isInstanceOf(BrokerException.class)
            .hasMessageMatching(".*(blocking publishers|no confirm within).*");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("FIGURE memory_alarm_publish_failure_attempt" + attempt + "=" + elapsedMillis + " ms");
        assertThat(elapsedMillis).isLessThan(bound.toMillis() + 3000);
      }
      // The node keeps consuming while publishing is blocked: bindings still work.
      long started = System.nanoTime();
      queue.bind(exchange, "during-alarm", Duration.ofSeconds(10));
      System.out.println("FIGURE memory_alarm_bind_ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
    });

    await("publishing accepted again").atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> {
          broker.publish(exchange, "k", bytes("after alarm"), Duration.ofSeconds(2));
          return true;
        });
    String delivery;
    do {
      delivery = recorder.nextDelivery();
    } while (!delivery.equals("k|after alarm"));
    assertFlowing(recorder, "during-alarm");
  }

  @Test
  void connection_cut_by_the_network_recovers_queue_and_bindings() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    broker = fastRecovery(proxy.amqpUri()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "a", "b");
    String before = queue.name();

    proxy.cutAll();

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    assertThat(queue.name()).isNotEqualTo(before);
    assertBoundOnBroker(queue.name(), "a", "b");
    assertFlowing(recorder, "a");
    assertFlowing(recorder, "b");
  }

  @Test
  void silent_partition_is_detected_by_heartbeats_and_recovered_without_thread_growth() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    Duration heartbeat = Duration.ofSeconds(1);
    broker = fastRecovery(proxy.amqpUri()).heartbeat(heartbeat).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "a");
    assertFlowing(recorder, "a");
    int threadsBefore = nonProxyThreads();

    for (int round = 0; round < 2; round++) {
      proxy.blackhole();
      long started = System.nanoTime();
      assertThat(recorder.nextEvent()).isEqualTo("disconnected");
      long detectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.println("FIGURE heartbeat_detection_ms=" + detectedMillis + " ms (heartbeat " + heartbeat.toMillis() + " ms, round " + round + ")");
      assertThat(detectedMillis).as("detected within a few heartbeats").isLessThan(heartbeat.toMillis() * 15);
      assertThat(queue.isConnected()).isFalse();
      proxy.heal();
      assertThat(recorder.nextEvent()).isEqualTo("recovered");
      assertFlowing(recorder, "a");
    }
    await("threads back to their number before the partitions").atMost(WAIT)
        .untilAsserted(() -> assertThat(nonProxyThreads()).isLessThanOrEqualTo(threadsBefore + 1));
  }

  /**
   * Unbinds sent together to a broker that stopped answering: the batch ends within about its
   * timeout (the unbind channels still waiting are aborted, the rest go one at a time until the
   * heartbeat drops the connection), and after recovery only the bindings still wanted are restored.
   */
  @Test
  void unbinds_sent_together_to_a_silent_broker_end_in_time_and_are_not_restored() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    broker = fastRecovery(proxy.amqpUri()).heartbeat(Duration.ofSeconds(1)).build();
    Recorder recorder = new Recorder();
    List<String> keys = IntStream.range(0, 40).mapToObj(i -> "u" + i).toList();
    NodeQueue queue = openBound(recorder, "kept");
    List<NodeQueue.Change> binds = new ArrayList<>();
    keys.forEach(key -> binds.add(new NodeQueue.Change(exchange, key, true)));
    List<NodeQueue.Change> unbinds = new ArrayList<>();
    keys.forEach(key -> unbinds.add(new NodeQueue.Change(exchange, key, false)));
    for (int round = 0; round < 2; round++) { // Opens the unbind channels (each costs a round trip, so some only in the second).
      assertThat(queue.apply(binds, WAIT)).containsOnlyNulls();
      assertThat(queue.apply(unbinds, WAIT)).containsOnlyNulls();
    }
    assertThat(queue.apply(binds, WAIT)).containsOnlyNulls();

    proxy.blackhole();
    long started = System.nanoTime();
    assertThat(queue.apply(unbinds, Duration.ofMillis(500))).containsOnlyNulls();
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(tookMillis).as("bounded by the timeout and the heartbeat, not by 40 round trips").isLessThan(15_000);
    assertThat(queue.bindings()).containsExactly(exchange + "\0kept");

    proxy.heal();
    await("recovered").atMost(WAIT).until(() -> recorder.events.contains("recovered"));
    assertBoundOnBroker(queue.name(), "kept");
    assertFlowing(recorder, "kept");
  }

  /** Live threads, less the test proxy's, which come and go with its connections. */
  private static int nonProxyThreads() {
    return (int) Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        .filter(info -> !info.getThreadName().startsWith(TcpProxy.THREAD_PREFIX))
        .count();
  }

  @Test
  void absent_broker_at_start_is_waited_for_with_backoff_saying_so() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    proxy.rejectNew(true);
    try (LogCapture logs = LogCapture.start()) {
      broker = fastRecovery(proxy.amqpUri()).build();
      Recorder recorder = new Recorder();
      NodeQueue queue = broker.openNodeQueue(recorder);
      await("three attempts").atMost(WAIT).until(() -> proxy.accepted() >= 3);
      assertThat(queue.isConnected()).isFalse();
      assertThatThrownBy(() -> queue.bind(exchange, "a", Duration.ofSeconds(1)))
          .isInstanceOf(BrokerException.class)
          .hasMessageContaining("not connected to RabbitMQ at amqp://guest:***@127.0.0.1:" + proxy.port());
      assertThat(logs.text()).contains("Waiting for RabbitMQ at amqp://guest:***@127.0.0.1:" + proxy.port()).contains("retrying in");
      assertThat(logs.text()).doesNotContain("guest:guest");

      proxy.rejectNew(false);

      await("node queue connected").atMost(WAIT).until(queue::isConnected);
      queue.bind(exchange, "a", WAIT);
      assertFlowing(recorder, "a");
    }
  }

  @Test
  void queue_deleted_under_the_node_is_declared_again_with_its_bindings() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    broker = fastRecovery(RabbitMqFixture.uri()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "a", "b");
    String before = queue.name();

    assertThat(RabbitMqFixture.rabbitmqctl("delete_queue", before).exitCode()).isZero();

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    assertThat(queue.name()).isNotEqualTo(before);
    assertBoundOnBroker(queue.name(), "a", "b");
    assertFlowing(recorder, "a");
    assertFlowing(recorder, "b");
    assertThat(broker.reconnects()).as("the connection itself stayed up").isZero();
  }

  @Test
  void consumer_channel_closed_by_the_broker_is_recovered() throws Exception {
    broker = fastRecovery(RabbitMqFixture.uri()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder, "a");
    String before = queue.name();

    // Acknowledging a delivery tag the broker never sent is a channel error: it closes the channel.
    RabbitMqBroker.consumerChannelOf(queue).basicAck(999_999, false);

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    assertThat(queue.name()).isNotEqualTo(before);
    assertFlowing(recorder, "a");
    assertThat(broker.reconnects()).isZero();
  }

  @Test
  void listener_exceptions_and_errors_never_stop_the_consumer() throws Exception {
    broker = fastRecovery(RabbitMqFixture.uri()).prefetch(2).build();
    Recorder recorder = new Recorder();
    recorder.throwOnDelivery = new IllegalStateException("listener bug");
    recorder.errorOnDelivery = new StackOverflowError("deep listener bug");
    NodeQueue queue = openBound(recorder, "a");

    // More failures than the prefetch: an unacknowledged failure would stall the consumer.
    for (int i = 0; i < 5; i++) {
      publisher.publish(exchange, "a", bytes("throw " + i), WAIT);
      publisher.publish(exchange, "a", bytes("error " + i), WAIT);
    }

    assertFlowing(recorder, "a");
    assertThat(recorder.events).isEmpty();
    assertThat(RabbitMqBroker.consumerChannelOf(queue).isOpen()).isTrue();
  }

  /** Deletes {@code name} on the broker through a connection of the test's own. */
  private static void deleteExchange(String name) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    try (Connection connection = factory.newConnection(RabbitMqFixture.unique("myxi-test-admin"));
        Channel channel = connection.createChannel()) {
      channel.exchangeDelete(name);
    }
  }

  /** Whether {@code name} exists on the broker, asked through a connection of the test's own. */
  private static boolean exchangeExists(String name) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    try (Connection connection = factory.newConnection(RabbitMqFixture.unique("myxi-test-admin"))) {
      Channel channel = connection.createChannel();
      try {
        channel.exchangeDeclarePassive(name);
        return true;
      } catch (IOException notFound) {
        return false;
      }
    }
  }

  @Test
  void publisher_only_broker_declares_a_deleted_exchange_again() throws Exception {
    // `publisher` never opens a node queue: only its publishing connection exists.
    publisher.publish(exchange, "k", bytes("before"), WAIT);
    deleteExchange(exchange);
    assertThat(exchangeExists(exchange)).isFalse();

    publisher.publish(exchange, "k", bytes("after delete"), WAIT);
    publisher.publish(exchange, "k", bytes("and again"), WAIT);

    assertThat(exchangeExists(exchange)).isTrue();
  }

  @Test
  void publisher_only_broker_declares_its_exchanges_again_on_a_new_connection() throws Exception {
    proxy = TcpProxy.toRabbitMq();
    try (RabbitMqBroker publishing = fastRecovery(proxy.amqpUri()).build()) {
      publishing.publish(exchange, "k", bytes("before"), WAIT);

      proxy.cutAll(); // As a broker restart would, the connection goes and the exchange with it.
      deleteExchange(exchange);

      await("publishing accepted again").atMost(WAIT).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> {
            publishing.publish(exchange, "k", bytes("after"), Duration.ofSeconds(2));
            return true;
          });
      assertThat(exchangeExists(exchange)).isTrue();
    }
  }

  @Test
  void connection_loss_is_handled_on_the_recovery_thread() throws Exception {
    // The backoff counter and the node queues' state belong to the recovery thread: the AMQP
    // client's shutdown listener only hands the loss over to it.
    proxy = TcpProxy.toRabbitMq();
    broker = fastRecovery(proxy.amqpUri()).build();
    Recorder recorder = new Recorder();
    openBound(recorder, "a");

    proxy.cutAll();

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.disconnectedOn).isEqualTo("myxi-amqp-recovery");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    assertFlowing(recorder, "a");
  }
}
