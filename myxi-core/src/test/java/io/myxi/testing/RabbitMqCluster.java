package io.myxi.testing;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The 3-node RabbitMQ cluster that {@code .ci/rabbitmq-cluster start} runs on this machine (never
 * the shared broker), for tests of failover, replicated streams and anything else that needs
 * several broker nodes. Found through the variables that {@code .ci/rabbitmq-cluster env} prints:
 * {@code RABBITMQ_CLUSTER_URLS} (AMQP URIs, node 1 first), {@code RABBITMQ_CLUSTER_NODES} (their
 * Erlang names) and {@code RABBITMQ_CLUSTER_SCRIPT}. {@code .ci/run} starts the cluster and sets
 * them; in development, tests annotated {@link Required} are skipped, saying how to run them.
 *
 * <p>Nodes are numbered from 1, as the script numbers them. Faults go through the script
 * ({@link #stopNode}, {@link #startNode}, {@link #ctl}), which runs rabbitmqctl as the owner of the
 * Erlang cookie and stops nodes by the PID they wrote.
 */
public final class RabbitMqCluster {
  public static final String URLS_ENV = "RABBITMQ_CLUSTER_URLS";
  public static final String NODES_ENV = "RABBITMQ_CLUSTER_NODES";
  public static final String SCRIPT_ENV = "RABBITMQ_CLUSTER_SCRIPT";
  /** A rabbitmqctl call's bound; stopping and starting a node get two and three times it. */
  private static final long SCRIPT_TIMEOUT_SECONDS = 60;
  private static volatile RabbitMqCluster instance;

  private final List<String> urls;
  private final List<String> nodeNames;
  private final Path script;

  /**
   * On a test class: run it only when {@code RABBITMQ_CLUSTER_URLS} is set, else report it skipped
   * with the way to run it.
   */
  @Target({ElementType.TYPE, ElementType.METHOD})
  @Retention(RetentionPolicy.RUNTIME)
  @EnabledIfEnvironmentVariable(named = URLS_ENV, matches = ".+", disabledReason = "needs the test RabbitMQ cluster: "
      + "run .ci/rabbitmq-cluster start and export the variables it prints (docs/cluster.md); .ci/run does this")
  public @interface Required {}

  private RabbitMqCluster(List<String> urls, List<String> nodeNames, Path script) {
    this.urls = List.copyOf(urls);
    this.nodeNames = List.copyOf(nodeNames);
    this.script = script;
  }

  /** The cluster of this test run; fails with what to do when the variables are set but a node does not answer. */
  public static synchronized RabbitMqCluster get() {
    if (instance != null) {
      return instance;
    }
    String urls = System.getenv(URLS_ENV);
    if (urls == null || urls.isBlank()) {
      throw new IllegalStateException(URLS_ENV + " is not set: start the cluster with .ci/rabbitmq-cluster start (see docs/cluster.md)");
    }
    List<String> urlList = split(urls);
    String names = System.getenv(NODES_ENV);
    List<String> nameList = names == null || names.isBlank() ? defaultNames(urlList.size()) : split(names);
    if (nameList.size() != urlList.size()) {
      throw new IllegalStateException(NODES_ENV + " names " + nameList.size() + " nodes but " + URLS_ENV + " " + urlList.size());
    }
    RabbitMqCluster cluster = new RabbitMqCluster(urlList, nameList, findScript());
    for (int node = 1; node <= cluster.size(); node++) {
      cluster.requireReachable(node);
    }
    return instance = cluster;
  }

  private static List<String> split(String commaList) {
    return Arrays.stream(commaList.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
  }

  private static List<String> defaultNames(int count) {
    List<String> names = new ArrayList<>();
    for (int node = 1; node <= count; node++) {
      names.add("myxi-c" + node + "@localhost");
    }
    return names;
  }

  private static Path findScript() {
    String fromEnvironment = System.getenv(SCRIPT_ENV);
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return Path.of(fromEnvironment);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(".ci/rabbitmq-cluster");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no .ci/rabbitmq-cluster above " + Path.of("").toAbsolutePath() + " and " + SCRIPT_ENV + " is not set");
  }

  public int size() {
    return urls.size();
  }

  /** Every node's AMQP URI, node 1 first. */
  public List<String> urls() {
    return urls;
  }

  /** The AMQP URI of one node. */
  public String url(int node) {
    return urls.get(node - 1);
  }

  /** The AMQP port of one node. */
  public int port(int node) {
    return URI.create(url(node)).getPort();
  }

  public String nodeName(int node) {
    return nodeNames.get(node - 1);
  }

  /** The node a connection's {@code host:port} belongs to (by port: the nodes share 127.0.0.1). */
  public int nodeOf(String hostAndPort) {
    int port = Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    for (int node = 1; node <= size(); node++) {
      if (port(node) == port) {
        return node;
      }
    }
    throw new IllegalArgumentException(hostAndPort + " is no node of the test cluster " + urls);
  }

  /** Whether a node accepts AMQP connections now. */
  public boolean answers(int node) {
    try {
      requireReachable(node);
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  private void requireReachable(int node) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(url(node));
      factory.setConnectionTimeout(3000);
      try (Connection ignored = factory.newConnection("myxi-test-probe")) {
        return;
      }
    } catch (Exception e) {
      throw new IllegalStateException("test cluster node " + node + " (" + nodeName(node) + ", port " + port(node) + ") does not answer: " + e
          + "; is the cluster running (.ci/rabbitmq-cluster status)?", e);
    }
  }

  /** rabbitmqctl against one node. */
  public RabbitMqFixture.Result ctl(int node, String... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of("ctl", String.valueOf(node), "-q"));
    command.addAll(List.of(arguments));
    return runScript(SCRIPT_TIMEOUT_SECONDS, command);
  }

  /** Stops one node by its PID (data kept), as a failing broker would go. Returns when it is gone. */
  public void stopNode(int node) throws IOException {
    requireSuccess(runScript(SCRIPT_TIMEOUT_SECONDS * 2, List.of("stop-node", String.valueOf(node))), "stop-node " + node);
  }

  /** Starts a stopped node again; it rejoins the cluster. Returns when it accepts connections. */
  public void startNode(int node) throws IOException {
    requireSuccess(runScript(SCRIPT_TIMEOUT_SECONDS * 3, List.of("start-node", String.valueOf(node))), "start-node " + node);
  }

  /** Starts every node that does not answer, so one test's stopped node does not leak into the next. */
  public void startStoppedNodes() throws IOException {
    for (int node = 1; node <= size(); node++) {
      if (!answers(node)) {
        startNode(node);
      }
    }
  }

  /** The first node that answers, to ask about the whole cluster. */
  public int anyRunningNode() {
    for (int node = 1; node <= size(); node++) {
      if (answers(node)) {
        return node;
      }
    }
    throw new IllegalStateException("no node of the test cluster answers");
  }

  /** Pids (cluster-wide) of the connections whose client-provided name is {@code connectionName}. */
  public List<String> connectionPids(String connectionName) throws IOException {
    RabbitMqFixture.Result result = ctl(anyRunningNode(), "list_connections", "pid", "client_properties");
    String marker = "{\"connection_name\",\"" + connectionName + "\"}";
    List<String> pids = new ArrayList<>();
    for (String line : result.output().split("\n")) {
      int tab = line.indexOf('\t');
      if (tab > 0 && line.indexOf(marker, tab) > 0) {
        pids.add(line.substring(0, tab).trim());
      }
    }
    return pids;
  }

  /** Force-closes, on whichever node holds them, every connection named {@code connectionName}; returns how many. */
  public int closeConnections(String connectionName, String reason) throws IOException {
    List<String> pids = connectionPids(connectionName);
    int node = anyRunningNode();
    for (String pid : pids) {
      requireSuccess(ctl(node, "close_connection", pid, reason), "close_connection " + pid);
    }
    return pids.size();
  }

  private static void requireSuccess(RabbitMqFixture.Result result, String what) throws IOException {
    if (result.exitCode() != 0) {
      throw new IOException(".ci/rabbitmq-cluster " + what + " failed (" + result.exitCode() + "): " + result.output());
    }
  }

  private RabbitMqFixture.Result runScript(long timeoutSeconds, List<String> arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    command.addAll(arguments);
    Path output = Files.createTempFile("rabbitmq-cluster", ".out");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
      }
      return new RabbitMqFixture.Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
