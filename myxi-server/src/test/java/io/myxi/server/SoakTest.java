package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Soak (issue 4, item 16): connect, subscribe, receive and disconnect in a loop, with the broker
 * force-closing the node's connection now and then; afterwards threads, heap after GC, file
 * descriptors and the broker's queues and bindings are back at their baseline.
 *
 * <p>Runs 20 seconds in the suite. The long version: {@code mvn -pl myxi-server -am test
 * -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false -Dmyxi.soak.seconds=1800}.
 */
class SoakTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Pools that grow with load and shrink after an idle minute, or belong to the test's own tools. */
  private static final List<String> ELASTIC_THREADS = List.of("myxi-worker-", "myxi-amqp-closer", "HttpClient-", "process reaper",
      "test-proxy-", "ForkJoinPool", "Attach Listener", "awaitility");

  @Test
  void churn_and_broker_force_closes_leave_no_trace() throws Exception {
    assumeThat(RabbitMqFixture.rabbitmqctlAvailable()).as("rabbitmqctl").isTrue();
    long seconds = Long.getLong("myxi.soak.seconds", 20);
    String connectionName = RabbitMqFixture.unique("myxi-soak");
    TestApp app = new TestApp();
    Random random = new Random(42);
    try (RabbitMqBroker broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName)
            .recoveryDelay(Duration.ofMillis(100)).maxRecoveryDelay(Duration.ofSeconds(2)).build();
        RabbitMqBroker publisherBroker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(connectionName + "-app").build();
        Myxi myxi = app.builder(broker).build();
        Myxi publisher = app.builder(publisherBroker).build();
        MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ofSeconds(1))
            .shutdownWindow(Duration.ZERO).build().start()) {
      broker.start();
      await().atMost(WAIT).until(server::isReady);
      Set<String> queueNames = new LinkedHashSet<>();
      queueNames.add(server.stats().queueName());
      cycle(server, publisher, random, 0); // warm-up: classes loaded, pools started

      int threadsBefore = steadyThreads();
      List<String> threadNamesBefore = steadyThreadNames();
      long heapBefore = heapAfterGc();
      long descriptorsBefore = openDescriptors();
      System.out.printf("FIGURE soak_baseline threads=%d heap_after_gc=%d KiB fds=%d%n", threadsBefore, heapBefore / 1024, descriptorsBefore);

      long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      long nextForceClose = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      int cycles = 0;
      int forceCloses = 0;
      while (System.nanoTime() < deadline) {
        cycle(server, publisher, random, ++cycles);
        if (System.nanoTime() > nextForceClose) {
          long recoveries = server.stats().recoveries();
          assertThat(RabbitMqFixture.closeConnections(connectionName, "soak")).isEqualTo(1);
          forceCloses++;
          await().atMost(WAIT).until(() -> server.stats().recoveries() > recoveries && server.isReady());
          queueNames.add(server.stats().queueName());
          nextForceClose = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        }
      }

      await("every session gone").atMost(WAIT).until(() -> server.stats().sessions() == 0 && server.stats().bindings() == 0);
      await("threads back at baseline").atMost(WAIT).untilAsserted(() -> assertThat(steadyThreads())
          .as("threads now %s, before %s", steadyThreadNames(), threadNamesBefore).isLessThanOrEqualTo(threadsBefore));
      assertThat(threads("myxi-worker-")).isLessThanOrEqualTo(16);
      await("file descriptors back at baseline").atMost(WAIT).untilAsserted(() -> assertThat(openDescriptors()).isLessThanOrEqualTo(descriptorsBefore + 2));
      long heapAfter = heapAfterGc();
      String currentQueue = server.stats().queueName();
      List<String> queues = RabbitMqFixture.queues();
      List<String[]> bindings = RabbitMqFixture.bindings().stream().filter(row -> row[0].startsWith(app.prefix)).toList();
      System.out.printf("FIGURE soak_after cycles=%d force_closes=%d seconds=%d threads=%d heap_after_gc=%d KiB fds=%d node_queues=%d bindings=%d%n",
          cycles, forceCloses, seconds, steadyThreads(), heapAfter / 1024, openDescriptors(),
          queueNames.stream().filter(queues::contains).count(), bindings.size());
      assertThat(heapAfter - heapBefore).as("heap after GC grew").isLessThan(32L * 1024 * 1024);
      assertThat(queueNames.stream().filter(queues::contains)).as("node queues left on the broker").containsExactly(currentQueue);
      assertThat(bindings).as("bindings left on the broker").isEmpty();
      assertThat(forceCloses).isGreaterThanOrEqualTo((int) Math.min(2, seconds / 6));
    }
  }

  /** A few clients connect, subscribe, get an event each, and leave (some without a goodbye). */
  private static void cycle(MyxiServer server, Myxi publisher, Random random, int cycle) {
    List<TestClient> clients = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        TestClient client = TestClient.connect(server.port());
        clients.add(client);
        if (i % 2 == 0) {
          client.call("Authenticate", Map.of("token", "alice-token"));
        }
        String key = "k" + random.nextInt(20);
        keys.add(key);
        JsonNode reply = client.call("Subscribe", Map.of("exchange", i % 2 == 0 ? "widgets" : "public", "routing_key", key));
        assertThat(reply.path("event").asText()).as("cycle %d", cycle).isEqualTo("Subscribed");
      }
      for (int i = 0; i < clients.size(); i++) {
        publisher.pushEvent(i % 2 == 0 ? "widgets" : "public", keys.get(i), "Soak", Map.of("cycle", cycle, "client", i));
      }
      for (int i = 0; i < clients.size(); i++) {
        JsonNode event = clients.get(i).nextEvent("Soak");
        assertThat(event.path("payload").path("cycle").asInt()).isEqualTo(cycle);
      }
    } finally {
      clients.forEach(TestClient::close);
    }
  }

  private static int steadyThreads() {
    return (int) Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        .filter(info -> ELASTIC_THREADS.stream().noneMatch(info.getThreadName()::startsWith))
        .count();
  }

  private static List<String> steadyThreadNames() {
    return Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        .map(info -> info.getThreadName())
        .filter(name -> ELASTIC_THREADS.stream().noneMatch(name::startsWith))
        .sorted()
        .toList();
  }

  private static int threads(String prefix) {
    return (int) Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        .filter(info -> info.getThreadName().startsWith(prefix))
        .count();
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
      return descriptors.count();
    }
  }
}
