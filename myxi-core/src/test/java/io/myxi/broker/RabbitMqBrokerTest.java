package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.testing.RabbitMqFixture;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RabbitMqBrokerTest extends BrokerContractTest {
  @Override
  protected Broker newBroker() {
    return RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName("myxi-test").build();
  }

  @Test
  void publishing_to_an_absent_broker_fails_within_the_timeout_saying_why() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (RabbitMqBroker absent = RabbitMqBroker.builder().uri("amqp://guest:secret@127.0.0.1:" + closedPort).build()) {
      long started = System.nanoTime();
      assertThatThrownBy(() -> absent.publish("x", "k", bytes("{}"), Duration.ofMillis(700)))
          .isInstanceOf(BrokerException.class)
          .hasMessageContaining("not connected to RabbitMQ at amqp://guest:***@127.0.0.1:" + closedPort)
          .hasMessageNotContaining("secret");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      assertThat(absent.isConnected()).isFalse();
    }
  }

  @Test
  void rejects_an_invalid_uri_with_a_clear_message() {
    assertThatThrownBy(() -> RabbitMqBroker.builder().uri("http://user:pw@host"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid RabbitMQ URI: http://user:***@host");
  }

  @Test
  void node_queue_is_exclusive_and_deleted_on_close() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    String name = queue.name();
    assertThat(name).startsWith("amq.gen-");
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      assertThat(RabbitMqFixture.queues()).contains(name);
    }
    queue.close();
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      assertThat(RabbitMqFixture.queues()).doesNotContain(name);
    } else {
      System.out.println("rabbitmqctl unavailable: queue deletion checked only through the client");
    }
  }

  /**
   * Deliveries are handled on the connection's reader thread, with no dispatch thread between
   * (ReaderThreadExecutor). That thread also reads the answers to bindings, so binds made while
   * events stream in must still be confirmed, and every event arrive once, in order.
   */
  @Test
  void deliveries_run_on_the_connection_thread_while_bindings_made_meanwhile_are_confirmed() throws Exception {
    Recorder recorder = new Recorder();
    NodeQueue queue = openConnected(recorder);
    queue.bind(exchange, "stream", TIMEOUT);
    int events = 2_000;
    CompletableFuture<List<BrokerException>> binding = CompletableFuture.supplyAsync(() -> {
      List<BrokerException> failures = new ArrayList<>();
      for (int run = 0; run < 20; run++) {
        List<NodeQueue.Change> changes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          changes.add(new NodeQueue.Change(exchange, "meanwhile-" + run + "-" + i, true));
        }
        failures.addAll(queue.apply(changes, TIMEOUT));
      }
      return failures;
    });
    List<CompletableFuture<Void>> confirms = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      confirms.add(broker.publishAsync(exchange, "stream", bytes("e" + i), TIMEOUT));
    }
    CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
    for (int i = 0; i < events; i++) {
      assertThat(recorder.next()).isEqualTo(exchange + "|stream|e" + i);
    }
    assertThat(binding.get(30, TimeUnit.SECONDS)).hasSize(200).containsOnlyNulls();
    assertThat(queue.bindings()).hasSize(201);
    assertThat(recorder.deliveryThreads).singleElement().asString().startsWith("AMQP Connection");
    recorder.assertNothingBefore(broker, exchange, "stream");
    queue.close();
  }

  /**
   * Runs of unbinds go out on several channels at once; each run must be answered before the next
   * change, so a key unbound and bound again in one batch ends bound, and one bound then unbound
   * ends unbound. An unbind that fails (and so closes its channel) costs no other.
   */
  @Test
  void a_batch_of_many_unbinds_then_rebinds_of_the_same_keys_ends_with_exactly_the_expected_bindings() throws Exception {
    NodeQueue queue = openConnected(new Recorder());
    List<String> keys = IntStream.range(0, 300).mapToObj(i -> "k" + i).toList();
    List<NodeQueue.Change> first = new ArrayList<>();
    keys.forEach(key -> first.add(new NodeQueue.Change(exchange, key, true)));
    assertThat(queue.apply(first, TIMEOUT)).containsOnlyNulls();

    List<NodeQueue.Change> batch = new ArrayList<>();
    Set<String> expected = new HashSet<>(keys);
    keys.forEach(key -> batch.add(new NodeQueue.Change(exchange, key, false)));
    batch.add(new NodeQueue.Change("", "k0", false)); // Refused on the default exchange (403): closes its channel.
    expected.clear();
    for (int i = 0; i < keys.size(); i += 2) { // Even keys back.
      batch.add(new NodeQueue.Change(exchange, keys.get(i), true));
      expected.add(keys.get(i));
    }
    for (int i = 0; i < keys.size(); i += 4) { // Every fourth out again.
      batch.add(new NodeQueue.Change(exchange, keys.get(i), false));
      expected.remove(keys.get(i));
    }
    batch.add(new NodeQueue.Change(exchange, "k1", true));
    expected.add("k1");
    batch.add(new NodeQueue.Change(exchange, "k2", false));
    batch.add(new NodeQueue.Change(exchange, "k3", false)); // Never bound now: a harmless no-op.
    expected.remove("k2");
    assertThat(queue.apply(batch, TIMEOUT)).containsOnlyNulls();

    assertThat(queue.bindings()).isEqualTo(expected.stream().map(key -> exchange + "\0" + key).collect(Collectors.toSet()));
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      Set<String> onBroker = RabbitMqFixture.bindings().stream()
          .filter(row -> row[0].equals(exchange) && row[1].equals(queue.name()))
          .map(row -> row[2])
          .collect(Collectors.toSet());
      assertThat(onBroker).isEqualTo(expected);
    } else {
      System.out.println("rabbitmqctl unavailable: bindings checked only through the client");
    }
    // The channel the failed unbind closed is replaced: a later run still unbinds everything.
    List<NodeQueue.Change> rest = new ArrayList<>();
    expected.forEach(key -> rest.add(new NodeQueue.Change(exchange, key, false)));
    assertThat(queue.apply(rest, TIMEOUT)).containsOnlyNulls();
    assertThat(queue.bindings()).isEmpty();
    if (RabbitMqFixture.rabbitmqctlAvailable()) {
      assertThat(RabbitMqFixture.bindings()).noneMatch(row -> row[0].equals(exchange));
    }
    queue.close();
  }

  @Test
  void invalid_uris_never_show_their_password() {
    for (String uri : new String[] {
        "amqp://user:s3cr3t word@host:5672", "http://user:s3cr3t@host", "amqp://user:s3cr3t@ho st/vhost"}) {
      assertThatThrownBy(() -> RabbitMqBroker.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("invalid RabbitMQ URI: ")
          .hasMessageNotContaining("s3cr3t")
          .hasNoCause();
    }
  }

  @Test
  void descriptions_hide_passwords_even_with_odd_characters() {
    assertThat(RabbitMqBroker.Builder.redact("amqp://guest:guest@127.0.0.1:5672/%2F")).isEqualTo("amqp://guest:***@127.0.0.1:5672/%2F");
    assertThat(RabbitMqBroker.Builder.redact("amqps://app:p@ss:w@rd@rabbit.example.com/vhost")).isEqualTo("amqps://app:***@rabbit.example.com/vhost");
    // Conservative: everything up to the last '@' of the whole URI (such a URI is refused anyway).
    assertThat(RabbitMqBroker.Builder.redact("amqp://rabbit.example.com/vhost?x=a@b")).isEqualTo("amqp://***@b");
    assertThat(RabbitMqBroker.Builder.redact("amqp://app:pa/ss#w@rabbit/")).isEqualTo("amqp://app:***@rabbit/");
    assertThat(RabbitMqBroker.Builder.redact("amqp://a/pp:pass@rabbit/")).isEqualTo("amqp://***@rabbit/");
    assertThat(RabbitMqBroker.Builder.redact("amqp://onlyuser@host")).isEqualTo("amqp://onlyuser@host");
  }

  @Test
  void uris_whose_host_does_not_parse_are_refused_instead_of_connecting_to_localhost_as_guest() {
    for (String password : new String[] {"p@ss", "pa/ss", "pa#ss", "pa?ss"}) {
      String uri = "amqp://app:" + password + "@127.0.0.1:5672/";
      assertThat(RabbitMqBroker.uriProblem(uri)).as(uri).contains("percent-encode").doesNotContain(password);
      assertThatThrownBy(() -> RabbitMqBroker.builder().uri(uri))
          .as(uri)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("invalid RabbitMQ URI: amqp://app:***@127.0.0.1:5672/ (" + RabbitMqBroker.uriProblem(uri) + ")")
          .hasNoCause();
    }
    assertThat(RabbitMqBroker.uriProblem("amqp://app:p%40ss@127.0.0.1:5672/%2F")).isNull();
    assertThat(RabbitMqBroker.uriProblem("amqp://127.0.0.1")).isNull();
  }
}
