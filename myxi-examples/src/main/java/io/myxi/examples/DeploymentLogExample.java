package io.myxi.examples;

import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.server.MyxiServer;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Example 1, the use that made the gem: a deployment's log, live. Users sign in, open a deployment
 * page, and may subscribe to {@code deployment/<id>} only if they may read that deployment. A
 * simulated deployment pushes status changes and log lines through {@code pushEvent}.
 *
 * <p>Run: {@code java -cp myxi-examples/target/myxi-examples.jar io.myxi.examples.DeploymentLogExample},
 * then open http://localhost:8080/.
 */
public final class DeploymentLogExample implements AutoCloseable {
  /** Who may read which deployment; a real application asks its database. */
  static final Map<String, Set<String>> READERS = Map.of(
      "1", Set.of("alice", "bob"),
      "2", Set.of("alice"));

  private static final List<String> STEPS = List.of(
      "Fetching revision 4f2c9e1",
      "Installing dependencies",
      "Running database migrations",
      "Precompiling assets",
      "Restarting application servers",
      "Health check passed");

  private final Myxi myxi;
  private final MyxiServer server;
  private final ExampleWebServer web;
  private final ScheduledExecutorService deployments = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "simulated-deployments");
    thread.setDaemon(true);
    return thread;
  });
  private final AtomicInteger runs = new AtomicInteger();

  public DeploymentLogExample(Broker broker, String bindAddress, int webSocketPort, int httpPort, Duration stepDelay) throws Exception {
    this.myxi = Myxi.builder()
        .broker(broker)
        .action("Authenticate", DemoUsers.authenticate())
        .exchange("deployment", (session, deploymentId) ->
            session.auth(String.class).map(user -> READERS.getOrDefault(deploymentId, Set.of()).contains(user)).orElse(false))
        .build();
    this.server = MyxiServer.builder(myxi).bindAddress(bindAddress).port(webSocketPort).shutdownWindow(Duration.ofSeconds(1)).build().start();
    this.web = new ExampleWebServer(bindAddress, httpPort)
        .page("/", "io/myxi/examples/web/deployment.html", Map.of("wsPort", String.valueOf(server.port())))
        .post("/deployments/start", parameters -> {
          String id = parameters.getOrDefault("id", "");
          if (!READERS.containsKey(id)) {
            throw new IllegalArgumentException("no deployment " + id);
          }
          simulateDeployment(id, stepDelay);
          return Map.of("started", id);
        })
        .start();
  }

  /** Pushes a status change, then one log line per step, then the final status. */
  private void simulateDeployment(String id, Duration stepDelay) {
    int run = runs.incrementAndGet();
    myxi.pushEvent("deployment", id, "StatusChanged", Map.of("state", "running", "run", run));
    for (int step = 0; step <= STEPS.size(); step++) {
      int index = step;
      deployments.schedule(() -> {
        if (index < STEPS.size()) {
          String time = LocalTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
          myxi.pushEvent("deployment", id, "LogLine", Map.of("line", time + "  " + STEPS.get(index), "run", run));
        } else {
          myxi.pushEvent("deployment", id, "StatusChanged", Map.of("state", "succeeded", "run", run));
        }
      }, stepDelay.toMillis() * (step + 1), TimeUnit.MILLISECONDS);
    }
  }

  public int webSocketPort() {
    return server.port();
  }

  public int httpPort() {
    return web.port();
  }

  @Override
  public void close() {
    web.close();
    deployments.shutdownNow();
    server.stop();
    myxi.close();
  }

  public static void main(String[] args) throws Exception {
    DeploymentLogExample example = ExampleSettings.launch(broker -> new DeploymentLogExample(broker, ExampleSettings.bindAddress(),
        ExampleSettings.port("MYXI_PORT", 5005), ExampleSettings.port("EXAMPLE_HTTP_PORT", 8080), Duration.ofMillis(700)));
    System.out.println("Deployment log example: open http://localhost:" + example.httpPort() + "/ (WebSocket on "
        + example.webSocketPort() + ", broker " + example.myxi.broker().describe() + ")");
  }
}
