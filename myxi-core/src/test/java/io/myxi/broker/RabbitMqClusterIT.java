package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.myxi.testing.RabbitMqCluster;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TcpProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failover on a real 3-node RabbitMQ cluster ({@code .ci/rabbitmq-cluster}; skipped when it is not
 * running): the broker is given every node's URI, and after each fault its node queue comes back on
 * a surviving node with its bindings, the listener is told of the gap ({@code onRecovered}, which the
 * server turns into {@code MissedEvents}), and every event confirmed after the failover is delivered,
 * once and in order. Each test prints {@code FIGURE} lines with how long the node was not live.
 */
@RabbitMqCluster.Required
class RabbitMqClusterIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** The bound of the issue: live again within 2 s after the fault ends. */
  private static final Duration LIVE_WITHIN = Duration.ofSeconds(2);
  private static final int EVENTS_AFTER_FAILOVER = 100;

  private final String connectionName = RabbitMqFixture.unique("myxi-cluster-test");
  private final RabbitMqCluster cluster = RabbitMqCluster.get();
  private final List<TcpProxy> proxies = new ArrayList<>();
  private String exchange;
  private RabbitMqBroker broker;

  @BeforeEach
  void setUp() {
    exchange = RabbitMqFixture.unique("cluster");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (broker != null) {
      broker.close();
    }
    proxies.forEach(TcpProxy::close);
    cluster.startStoppedNodes(); // The next test, and the next test class, get all three nodes.
  }

  private RabbitMqBroker.Builder fastRecovery(List<String> uris) {
    return RabbitMqBroker.builder().uris(uris).connectionName(connectionName)
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofMillis(500))
        .connectionTimeout(Duration.ofSeconds(2)).heartbeat(Duration.ofSeconds(2));
  }

  /** Deliveries with their arrival time, and the node queue's connection events. */
  static final class Recorder implements NodeQueue.Listener {
    final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final AtomicReference<Instant[]> lastRecovery = new AtomicReference<>();
    volatile long disconnectedAtNanos;

    record Delivery(String body, long atNanos) {}

    @Override
    public void onDelivery(String exchange, String routingKey, byte[] body) {
      deliveries.add(new Delivery(new String(body, StandardCharsets.UTF_8), System.nanoTime()));
    }

    @Override
    public void onDisconnected(String reason) {
      disconnectedAtNanos = System.nanoTime();
      events.add("disconnected");
    }

    @Override
    public void onRecovered(Instant downSince, Instant upAt) {
      lastRecovery.set(new Instant[] {downSince, upAt});
      events.add("recovered");
    }

    String nextEvent() throws InterruptedException {
      String event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("a connection event within %s", WAIT).isNotNull();
      return event;
    }
  }

  private NodeQueue openBound(Recorder recorder) {
    NodeQueue queue = broker.openNodeQueue(recorder);
    await("node queue connected").atMost(WAIT).until(queue::isConnected);
    queue.bind(exchange, "k", WAIT);
    return queue;
  }

  private void publish(String body, Duration timeout) {
    broker.publish(exchange, "k", body.getBytes(StandardCharsets.UTF_8), timeout);
  }

  /** Before a fault: both connections up and events flowing. */
  private void assertLive(Recorder recorder) throws InterruptedException {
    publish("before", WAIT);
    Recorder.Delivery delivery = recorder.deliveries.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(delivery).isNotNull();
    assertThat(delivery.body()).isEqualTo("before");
  }

  /**
   * After a fault: publishes probes through the broker's own publisher (which fails over too),
   * retrying refused ones, until one is delivered to the node queue. Returns the milliseconds from
   * {@code sinceNanos} to that delivery.
   */
  private long millisUntilLive(Recorder recorder, long sinceNanos) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (int probe = 0; System.nanoTime() < deadline; probe++) {
      try {
        publish("probe-" + probe, Duration.ofMillis(500));
      } catch (BrokerException notYet) {
        // The publisher is failing over too; try again.
      }
      Recorder.Delivery delivery = recorder.deliveries.poll(20, TimeUnit.MILLISECONDS);
      while (delivery != null) {
        if (delivery.body().startsWith("probe-")) {
          return TimeUnit.NANOSECONDS.toMillis(delivery.atNanos() - sinceNanos);
        }
        delivery = recorder.deliveries.poll();
      }
    }
    throw new AssertionError("no probe delivered within " + WAIT);
  }

  /** Every event confirmed after the failover is delivered, once, in order. */
  private void assertConfirmedEventsDelivered(Recorder recorder) throws InterruptedException {
    for (int n = 0; n < EVENTS_AFTER_FAILOVER; n++) {
      publish("after-" + n, WAIT);
    }
    List<String> received = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (received.size() < EVENTS_AFTER_FAILOVER && System.nanoTime() < deadline) {
      Recorder.Delivery delivery = recorder.deliveries.poll(100, TimeUnit.MILLISECONDS);
      if (delivery != null && delivery.body().startsWith("after-")) {
        received.add(delivery.body());
      }
    }
    List<String> expected = new ArrayList<>();
    for (int n = 0; n < EVENTS_AFTER_FAILOVER; n++) {
      expected.add("after-" + n);
    }
    assertThat(received).containsExactlyElementsOf(expected);
    await("no duplicate afterwards").pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
        .until(() -> recorder.deliveries.stream().noneMatch(d -> d.body().startsWith("after-")));
  }

  private static void figure(String name, long millis) {
    System.out.println("FIGURE cluster_" + name + "=" + millis + " ms");
  }

  @Test
  void connections_closed_by_the_broker_reconnect_and_deliver_again() throws Exception {
    broker = fastRecovery(cluster.urls()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder);
    String before = queue.name();
    assertLive(recorder);

    int closed = cluster.closeConnections(connectionName, "cluster fault test")
        + cluster.closeConnections(connectionName + "-publisher", "cluster fault test");
    long faultEnded = System.nanoTime();

    assertThat(closed).as("the node queues' and the publisher's connections").isEqualTo(2);
    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    long live = millisUntilLive(recorder, faultEnded);
    figure("close_connection_live_after", live);
    assertThat(Duration.ofMillis(live)).isLessThan(LIVE_WITHIN);
    assertThat(queue.name()).isNotEqualTo(before);
    assertThat(broker.reconnects()).isEqualTo(1);
    assertConfirmedEventsDelivered(recorder);
  }

  @Test
  void stopping_the_broker_node_the_node_is_connected_to_fails_over_to_a_surviving_node() throws Exception {
    broker = fastRecovery(cluster.urls()).build();
    Recorder recorder = new Recorder();
    NodeQueue queue = openBound(recorder);
    assertLive(recorder);
    int connectedTo = cluster.nodeOf(broker.nodeQueueAddress().orElseThrow());

    cluster.stopNode(connectedTo);
    long stopped = System.nanoTime();

    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    long liveAfterLoss = millisUntilLive(recorder, recorder.disconnectedAtNanos);
    long liveAfterStop = Math.max(0, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
    figure("stop_node_live_after_loss", liveAfterLoss);
    figure("stop_node_live_after_node_down", liveAfterStop);
    assertThat(Duration.ofMillis(liveAfterStop)).isLessThan(LIVE_WITHIN);
    int now = cluster.nodeOf(broker.nodeQueueAddress().orElseThrow());
    assertThat(now).as("a surviving node").isNotEqualTo(connectedTo);
    assertThat(queue.isConnected()).isTrue();
    assertConfirmedEventsDelivered(recorder);
    assertThat(cluster.nodeOf(broker.publisherAddress().orElseThrow())).isNotEqualTo(connectedTo);
  }

  @Test
  void five_second_network_cut_recovers_within_two_seconds_after_the_link_is_back() throws Exception {
    List<String> throughProxies = new ArrayList<>();
    for (String url : cluster.urls()) {
      URI uri = URI.create(url);
      TcpProxy proxy = TcpProxy.to(uri.getHost(), uri.getPort());
      proxies.add(proxy);
      throughProxies.add(uri.getScheme() + "://" + uri.getRawUserInfo() + "@127.0.0.1:" + proxy.port() + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }
    broker = fastRecovery(throughProxies).build();
    Recorder recorder = new Recorder();
    openBound(recorder);
    assertLive(recorder);

    // The link to every broker node goes down for 5 s: open connections are reset, new ones refused.
    for (TcpProxy proxy : proxies) {
      proxy.rejectNew(true);
      proxy.cutAll();
    }
    assertThat(recorder.nextEvent()).isEqualTo("disconnected");
    await("the cut lasts 5 s").pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> true);
    assertThat(broker.isConnected()).isFalse();
    for (TcpProxy proxy : proxies) {
      proxy.rejectNew(false);
    }
    long healed = System.nanoTime();

    assertThat(recorder.nextEvent()).isEqualTo("recovered");
    long live = millisUntilLive(recorder, healed);
    figure("network_cut_5s_live_after_heal", live);
    assertThat(Duration.ofMillis(live)).isLessThan(LIVE_WITHIN);
    Instant[] window = recorder.lastRecovery.get();
    assertThat(Duration.between(window[0], window[1])).as("the gap reported for MissedEvents").isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    assertConfirmedEventsDelivered(recorder);
  }
}
