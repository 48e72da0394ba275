package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node killed with SIGKILL (issue 4, item 7): its exclusive queue and bindings disappear with
 * its connection, and the clients of other nodes see nothing of it.
 */
class NodeKillTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void a_node_killed_with_sigkill_leaves_no_queue_and_other_nodes_carry_on() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    String prefix = RabbitMqFixture.unique("kill") + ".";
    String childConnection = RabbitMqFixture.unique("myxi-kill-child");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), ChildNode.class.getName(),
        RabbitMqFixture.uri(), prefix, childConnection).redirectErrorStream(true).start();
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-kill-survivor")).build();
        Myxi myxi = Myxi.builder().broker(broker).exchangePrefix(prefix).exchange("public", Authorizer.allowAll()).build();
        MyxiServer survivor = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").build().start()) {
      int childPort = readyPort(child);
      await().atMost(WAIT).until(survivor::isReady);

      TestClient survivorClient = TestClient.connect(survivor.port());
      TestClient childClient = TestClient.connect(childPort);
      for (TestClient client : List.of(survivorClient, childClient)) {
        assertThat(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "k")).path("event").asText()).isEqualTo("Subscribed");
      }
      String childQueue = queuesBoundTo(prefix + "public").stream().filter(queue -> !queue.equals(survivor.stats().queueName())).findFirst().orElseThrow();

      long killedAt = System.nanoTime();
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye to RabbitMQ
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

      assertThat(childClient.awaitClose(WAIT)).as("the killed node's client notices").isNotZero();
      await("the killed node's queue is gone").atMost(WAIT).until(() -> !RabbitMqFixture.queues().contains(childQueue));
      System.out.println("FIGURE killed_node_queue_gone_after_ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt) + " ms");
      assertThat(queuesBoundTo(prefix + "public")).containsExactly(survivor.stats().queueName());
      assertThat(RabbitMqFixture.connectionPids(childConnection)).isEmpty();

      myxi.pushEvent("public", "k", "StillHere", Map.of());
      JsonNode event = survivorClient.next(WAIT);
      assertThat(event.path("event").asText()).isEqualTo("StillHere");
      assertThat(survivorClient.isClosed()).isFalse();
      assertThat(survivor.stats().recoveries()).isZero();
      survivorClient.close();
      childClient.close();
    } finally {
      child.destroyForcibly();
    }
  }

  private static List<String> queuesBoundTo(String exchange) throws Exception {
    return RabbitMqFixture.bindings().stream().filter(row -> row[0].equals(exchange)).map(row -> row[1]).distinct().toList();
  }

  static int readyPort(Process child) throws Exception {
    BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    long deadline = System.nanoTime() + WAIT.toNanos();
    String line;
    while (System.nanoTime() < deadline && (line = output.readLine()) != null) {
      if (line.startsWith("READY ")) {
        // Keep draining the child's output so it never blocks on a full pipe.
        Thread drain = new Thread(() -> output.lines().forEach(ignored -> { }), "test-child-output");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(line.substring(6).trim());
      }
      seen.append(line).append('\n');
    }
    throw new AssertionError("child node did not start:\n" + seen);
  }
}
