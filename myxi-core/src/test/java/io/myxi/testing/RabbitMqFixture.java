package io.myxi.testing;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * Finds the RabbitMQ the tests run against: {@code RABBITMQ_URL} if set, else a Testcontainers
 * broker when a Docker engine answers, else the local broker on 127.0.0.1:5672; fails with a
 * message saying what to start when none answers.
 */
public final class RabbitMqFixture {
  public static final String LOCAL_URL = "amqp://guest:guest@127.0.0.1:5672";
  private static volatile String uri;
  private static volatile boolean local;

  private RabbitMqFixture() {}

  /** The AMQP URI of the broker for this test run. */
  public static synchronized String uri() {
    if (uri != null) {
      return uri;
    }
    String fromEnvironment = System.getenv("RABBITMQ_URL");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      requireReachable(fromEnvironment, "RABBITMQ_URL");
      local = fromEnvironment.contains("127.0.0.1") || fromEnvironment.contains("localhost");
      return uri = fromEnvironment;
    }
    if (dockerAnswers()) {
      RabbitMQContainer container = new RabbitMQContainer("rabbitmq:3.13-management");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      return uri = container.getAmqpUrl();
    }
    requireReachable(LOCAL_URL, "the local broker");
    local = true;
    return uri = LOCAL_URL;
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  private static void requireReachable(String candidate, String what) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(candidate);
      factory.setConnectionTimeout(3000);
      try (Connection ignored = factory.newConnection("myxi-test-probe")) {
        return;
      }
    } catch (Exception e) {
      throw new IllegalStateException("No RabbitMQ for the tests: " + what + " (" + candidate.replaceAll("//[^@]*@", "//***@")
          + ") does not answer (" + e + ") and no Docker engine is available for Testcontainers. "
          + "Start RabbitMQ (rabbitmq-server -detached && rabbitmqctl await_startup) or set RABBITMQ_URL.", e);
    }
  }

  /** A factory for connections of the test's own (to publish the gem's way, for example). */
  public static ConnectionFactory connectionFactory() {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return factory;
  }

  /** A name no other test uses, for exchanges and routing keys. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Whether {@code rabbitmqctl} can inspect the broker the tests use. */
  public static boolean rabbitmqctlAvailable() {
    uri();
    if (!local) {
      return false;
    }
    try {
      return rabbitmqctl("status").exitCode == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs rabbitmqctl with a bounded wait. */
  public static Result rabbitmqctl(String... arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("rabbitmqctl");
    command.add("-q");
    command.addAll(List.of(arguments));
    Path output = Files.createTempFile("rabbitmqctl", ".out");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      boolean finished = process.waitFor(60, TimeUnit.SECONDS);
      if (!finished) {
        process.destroyForcibly();
        throw new IOException("rabbitmqctl " + String.join(" ", arguments) + " did not finish within 60 s");
      }
      return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /** Lines of {@code rabbitmqctl list_bindings source_name destination_name routing_key}. */
  public static List<String[]> bindings() throws IOException {
    Result result = rabbitmqctl("list_bindings", "source_name", "destination_name", "routing_key");
    List<String[]> rows = new ArrayList<>();
    for (String line : result.output.split("\n")) {
      String[] columns = line.split("\t");
      if (columns.length == 3) {
        rows.add(columns);
      }
    }
    return rows;
  }

  /** Names of the broker's queues. */
  public static List<String> queues() throws IOException {
    Result result = rabbitmqctl("list_queues", "name");
    List<String> names = new ArrayList<>();
    for (String line : result.output.split("\n")) {
      if (!line.isBlank() && !line.equals("name")) {
        names.add(line.trim());
      }
    }
    return names;
  }

  /**
   * Pids of the broker's connections whose client-provided name is {@code connectionName}. Tests
   * give their connections unique names so they never touch anybody else's.
   */
  public static List<String> connectionPids(String connectionName) throws IOException {
    Result result = rabbitmqctl("list_connections", "pid", "client_properties");
    String marker = "{\"connection_name\",\"" + connectionName + "\"}";
    List<String> pids = new ArrayList<>();
    for (String line : result.output.split("\n")) {
      int tab = line.indexOf('\t');
      if (tab > 0 && line.indexOf(marker, tab) > 0) {
        pids.add(line.substring(0, tab).trim());
      }
    }
    return pids;
  }

  /** Force-closes, on the broker, every connection named {@code connectionName}; returns how many. */
  public static int closeConnections(String connectionName, String reason) throws IOException {
    List<String> pids = connectionPids(connectionName);
    for (String pid : pids) {
      Result result = rabbitmqctl("close_connection", pid, reason);
      if (result.exitCode != 0) {
        throw new IOException("rabbitmqctl close_connection " + pid + " failed: " + result.output);
      }
    }
    return pids.size();
  }

  /**
   * Sets off RabbitMQ's memory alarm for as long as {@code during} runs, then restores the default
   * watermark whatever happens. The alarm blocks every publisher on the broker: keep it short.
   */
  public static void withMemoryAlarm(ThrowingRunnable during) throws Exception {
    Result set = rabbitmqctl("set_vm_memory_high_watermark", "0.0000001");
    if (set.exitCode != 0) {
      throw new IOException("could not set the memory watermark: " + set.output);
    }
    try {
      during.run();
    } finally {
      rabbitmqctl("set_vm_memory_high_watermark", "0.4");
    }
  }

  /** A block of test code that may throw. */
  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** The output of one rabbitmqctl run. */
  public record Result(int exitCode, String output) {}
}
