package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.ConnectionFactory;
import io.myxi.testing.RabbitMqFixture;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Several broker addresses (the nodes of a cluster): how the URIs are checked, and that a
 * connection goes to the first address that accepts. The failover itself, on a real 3-node
 * cluster, is {@code RabbitMqClusterIT}.
 */
class RabbitMqAddressesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void uris_of_one_cluster_must_agree_on_everything_but_host_and_port() {
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:s3cr3t@rabbit-1:5672/prod", "amqp://other:s3cr3t@rabbit-2:5672/prod"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RabbitMQ URIs of one broker must differ only in host and port: amqp://other:***@rabbit-2:5672/prod has another user than "
            + "amqp://app:***@rabbit-1:5672/prod");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:s3cr3t@rabbit-1/prod", "amqp://app:0ther@rabbit-2/prod"))
        .hasMessageContaining("has another password than").hasMessageNotContaining("s3cr3t").hasMessageNotContaining("0ther");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:p@rabbit-1/prod", "amqp://app:p@rabbit-2/staging"))
        .hasMessageContaining("has another virtual host than");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:p@rabbit-1/prod", "amqps://app:p@rabbit-2/prod"))
        .hasMessageContaining("has another scheme (amqp:// or amqps://) than");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:p@rabbit-1:5672", "amqp://app:p@rabbit-1"))
        .hasMessage("RabbitMQ URI given twice: amqp://app:***@rabbit-1");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("at least one RabbitMQ URI is required");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:s3cr3t@rabbit-1", "http://app:s3cr3t@rabbit-2"))
        .hasMessageStartingWith("invalid RabbitMQ URI: http://app:***@rabbit-2").hasMessageNotContaining("s3cr3t");
  }

  @Test
  void description_lists_every_node_without_passwords() {
    try (RabbitMqBroker broker = RabbitMqBroker.builder()
        .uris("amqp://app:s3cr3t@rabbit-1:5672/prod", " amqp://app:s3cr3t@rabbit-2:5673/prod").build()) {
      assertThat(broker.describe()).isEqualTo("amqp://app:***@rabbit-1:5672/prod, amqp://app:***@rabbit-2:5673/prod");
      assertThat(broker.nodeQueueAddress()).isEmpty();
      assertThat(broker.publisherAddress()).isEmpty();
    }
  }

  @Test
  void a_connection_factory_with_other_credentials_than_the_uris_is_refused() {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUsername("someone-else");
    assertThatThrownBy(() -> RabbitMqBroker.builder().uris("amqp://app:p@rabbit-1", "amqp://app:p@rabbit-2").connectionFactory(factory).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("uris and connectionFactory disagree on the user or the virtual host");
  }

  @Test
  void node_queue_and_publisher_connect_to_the_first_address_that_accepts() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    URI live = URI.create(RabbitMqFixture.uri());
    String dead = live.getScheme() + "://" + live.getRawUserInfo() + "@127.0.0.1:" + closedPort + (live.getRawPath() == null ? "" : live.getRawPath());
    String exchange = RabbitMqFixture.unique("addresses");
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uris(dead, RabbitMqFixture.uri()).shuffleAddresses(false)
        .connectionName(RabbitMqFixture.unique("myxi-addresses-test")).build()) {
      assertDeliversThroughItsNodeQueue(broker, exchange);
      String expected = "127.0.0.1:" + (live.getPort() == -1 ? 5672 : live.getPort());
      assertThat(broker.nodeQueueAddress()).contains(expected);
      assertThat(broker.publisherAddress()).contains(expected);
    }
  }

  /**
   * One address given as a host name: the node queues' connection resolves it as the client's own
   * {@code newConnection} does (every IP address of the host in turn), although it passes its own
   * consumer executor.
   */
  @Test
  void a_single_host_name_is_resolved_through_dns_for_the_node_queue() throws Exception {
    URI live = URI.create(RabbitMqFixture.uri());
    assumeTrue("127.0.0.1".equals(live.getHost()), "the broker under test is on 127.0.0.1");
    String byName = RabbitMqFixture.uri().replaceFirst("@127\\.0\\.0\\.1", "@localhost");
    String exchange = RabbitMqFixture.unique("dns");
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uri(byName).connectionName(RabbitMqFixture.unique("myxi-dns-test")).build()) {
      BrokerContractTest.Recorder recorder = assertDeliversThroughItsNodeQueue(broker, exchange);
      assertThat(recorder.deliveryThreads).singleElement().asString().startsWith("AMQP Connection");
    }
  }

  /** Opens a node queue, binds a key and publishes one event to it, which must arrive. */
  private static BrokerContractTest.Recorder assertDeliversThroughItsNodeQueue(RabbitMqBroker broker, String exchange) throws Exception {
    BrokerContractTest.Recorder recorder = new BrokerContractTest.Recorder();
    NodeQueue queue = broker.openNodeQueue(recorder);
    await().atMost(WAIT).until(queue::isConnected);
    queue.bind(exchange, "k", WAIT);
    broker.publish(exchange, "k", "{\"n\":1}".getBytes(StandardCharsets.UTF_8), WAIT);
    assertThat(recorder.next()).isEqualTo(exchange + "|k|{\"n\":1}");
    return recorder;
  }
}
