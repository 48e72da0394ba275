package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.Closer;
import io.myxi.testing.RabbitMqCluster;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TcpProxy;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's second bar, on the 3-node RabbitMQ cluster ({@code .ci/rabbitmq-cluster}; skipped
 * when it is not running): a node serving a history exchange (its stream replicated on the three
 * broker nodes) while an application publishes 200 numbered events/s on five keys from a connection
 * of its own. Through each fault (its connections force-closed, the broker node it is connected to
 * stopped, a 5 s network cut between it and every broker node, reset or silent) the client loses no confirmed
 * event, sees none twice, keeps per-key order, gets no {@code MissedEvents}, and receives events
 * published after the fault within 2 s of its end. Prints {@code FIGURE} lines.
 */
@RabbitMqCluster.Required
class ClusterHistoryIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration LIVE_WITHIN = Duration.ofSeconds(2);
  private static final Duration CUT = Duration.ofSeconds(5);
  /** 200 events/s. */
  private static final Duration PERIOD = Duration.ofMillis(5);
  private static final List<String> KEYS = List.of("a", "b", "c", "d", "e");

  private final RabbitMqCluster cluster = RabbitMqCluster.get();
  private final String connectionName = RabbitMqFixture.unique("myxi-cluster-history");
  private final String exchange = RabbitMqFixture.unique("deploys");
  private final Retention retention = Retention.maxAge(Duration.ofHours(1));
  /** Closed newest first: the client and the feed, the node, then the brokers. */
  private final Closer closer = new Closer();
  private RabbitMqBroker broker;
  private MyxiServer server;
  private NumberedFeed feed;
  private TestClient client;
  private final FeedReceiver receiver = new FeedReceiver(KEYS);

  private void start(List<String> nodeUris) {
    broker = closer.track(RabbitMqBroker.builder().uris(nodeUris).connectionName(connectionName)
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofMillis(500)).build());
    broker.start();
    Myxi myxi = closer.track(Myxi.builder().broker(broker).exchange(exchange, Authorizer.allowAll(), retention).build());
    // The application publishing from elsewhere: its own connection to the cluster, which fails over too.
    RabbitMqBroker appBroker = closer.track(RabbitMqBroker.builder().uris(cluster.urls()).connectionName(connectionName + "-app")
        .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofMillis(500)).build());
    Myxi app = closer.track(Myxi.builder().broker(appBroker).exchange(exchange, Authorizer.allowAll(), retention)
        .publishTimeout(Duration.ofSeconds(5)).build());
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start();
    closer.track(server::stop);
    await("node ready").atMost(WAIT).until(server::isReady);
    client = closer.track(TestClient.connect(server.port()));
    int tag = client.action("Subscribe", Map.of("exchange", exchange, "routing_keys", KEYS));
    for (int i = 0; i < KEYS.size(); i++) {
      assertThat(client.nextWithTag(tag).path("event").asText()).isEqualTo("Subscribed");
    }
    feed = closer.track(new NumberedFeed(app, exchange, KEYS, 80));
  }

  @AfterEach
  void stop() throws Exception {
    closer.close();
    cluster.startStoppedNodes();
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(cluster.url(cluster.anyRunningNode()));
    try (Connection connection = factory.newConnection("myxi-test-cleanup"); Channel channel = connection.createChannel()) {
      channel.queueDelete("myxi.history." + exchange);
    }
  }

  private boolean drain() {
    for (JsonNode frame : client.drain()) {
      receiver.absorb(frame, feed);
    }
    return true;
  }

  /** The fault; returns when it has ended (or the failover it causes has begun). */
  private interface Fault {
    void run() throws Exception;
  }

  /**
   * Publishes for a second with the client live, runs the fault, measures how soon an event
   * published after it reaches the client, publishes a second more, then checks everything.
   */
  private void survives(String name, Fault fault) throws Exception {
    feed.start(PERIOD);
    await("live before the fault").atMost(WAIT).pollInterval(Duration.ofMillis(10))
        .until(() -> drain() && feed.published() >= 200 && receiver.positions().size() == KEYS.size());
    long faultStart = System.nanoTime();
    fault.run();
    long faultEnd = System.nanoTime();
    receiver.watchLiveAfter(faultEnd);
    await("live after the fault").atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> drain() && receiver.liveAfterMillis() >= 0);
    long liveMs = receiver.liveAfterMillis();
    int target = feed.published() + 200;
    await("publishing goes on").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> drain() && feed.published() >= target);
    feed.stop(WAIT);
    await("every confirmed event").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> drain() && receiver.hasAllConfirmed(feed));
    // Nothing more may come: a late duplicate would show here.
    await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(this::drain);

    System.out.println("FIGURE cluster_history_" + name + ": fault " + (faultEnd - faultStart) / 1_000_000 + " ms, live "
        + liveMs + " ms after it, published " + feed.published() + ", failed publishes " + feed.failed() + " (" + receiver.unconfirmedGaps(feed) + " of them not stored), received "
        + receiver.received() + ", violations " + receiver.violations().size() + ", MissedEvents " + receiver.missedEvents().size()
        + ", node reconnects " + broker.reconnects());
    assertThat(receiver.violations()).as("duplicates, reorders").isEmpty();
    assertThat(receiver.lost(feed)).as("confirmed events lost").isEmpty();
    assertThat(receiver.missedEvents()).as("MissedEvents").isEmpty();
    assertThat(Duration.ofMillis(liveMs)).as("live again after the fault").isLessThan(LIVE_WITHIN);
    assertThat(server.isReady()).isTrue();
  }

  @Test
  void force_closed_connections_lose_nothing_and_send_no_missed_events() throws Exception {
    start(cluster.urls());
    survives("close_connection", () -> assertThat(cluster.closeConnections(connectionName, "cluster history test")).isPositive());
  }

  @Test
  void stopping_the_broker_node_of_the_node_loses_nothing_and_sends_no_missed_events() throws Exception {
    start(cluster.urls());
    int brokerNode = cluster.nodeOf(broker.nodeQueueAddress().orElseThrow());
    survives("stop_broker_node", () -> cluster.stopNode(brokerNode));
    assertThat(cluster.nodeOf(broker.nodeQueueAddress().orElseThrow())).isNotEqualTo(brokerNode);
  }

  /** The node reaches every broker node through a proxy of its own, so a fault can cut them all. */
  private List<TcpProxy> startBehindProxies() throws Exception {
    List<TcpProxy> proxies = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    for (int node = 1; node <= cluster.size(); node++) {
      TcpProxy proxy = TcpProxy.to("127.0.0.1", cluster.port(node));
      proxies.add(closer.track(proxy));
      URI uri = URI.create(cluster.url(node));
      uris.add(uri.getScheme() + "://" + uri.getRawUserInfo() + "@127.0.0.1:" + proxy.port() + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }
    start(uris);
    return proxies;
  }

  /** Holds a fault for 5 s, taking what the client still gets meanwhile. */
  private void holdCut() {
    long cutAt = System.nanoTime();
    await().atMost(CUT.plusSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> drain() && System.nanoTime() - cutAt >= CUT.toNanos());
  }

  @Test
  void a_five_second_network_cut_loses_nothing_and_sends_no_missed_events() throws Exception {
    List<TcpProxy> proxies = startBehindProxies();
    // Connections reset and new ones refused for 5 s: the node notices at once and retries.
    survives("network_cut_5s", () -> {
      for (TcpProxy proxy : proxies) {
        proxy.rejectNew(true);
        proxy.cutAll();
      }
      holdCut();
      for (TcpProxy proxy : proxies) {
        proxy.rejectNew(false);
      }
    });
  }

  @Test
  void a_silent_five_second_partition_loses_nothing_and_sends_no_missed_events() throws Exception {
    List<TcpProxy> proxies = startBehindProxies();
    // No byte moves for 5 s but no socket closes: shorter than the heartbeat's detection, so the
    // connection survives and what waited flows when the partition heals.
    survives("silent_partition_5s", () -> {
      for (TcpProxy proxy : proxies) {
        proxy.blackhole();
      }
      holdCut();
      for (TcpProxy proxy : proxies) {
        proxy.heal();
      }
    });
  }
}
