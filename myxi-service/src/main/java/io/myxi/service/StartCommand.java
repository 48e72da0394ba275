package io.myxi.service;

import static io.myxi.service.Cli.FAILED;
import static io.myxi.service.Cli.OK;
import static io.myxi.service.Cli.printStackTraceIfDebug;

import io.myxi.service.Cli.ConfigOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code start}: runs a node in the foreground until SIGTERM or SIGINT. */
@Command(name = "start", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
    description = {"Runs a node in the foreground until SIGTERM or SIGINT, then drains and exits 0.",
        "Application setups (io.myxi.MyxiSetup) on the class path are applied. Every key is also an env var and a flag;",
        "a flag beats the env, which beats the file, which beats the default."})
final class StartCommand extends ConfigOptions implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(StartCommand.class);

  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (env MYXI_CONFIG)")
  Path config;

  @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "the same as --config FILE")
  Path file;

  @Override
  public Integer call() throws Exception {
    Config effective;
    try {
      effective = load(configFile(file, config));
    } catch (ConfigException e) {
      return invalid(e);
    }
    Logging.setLevel(effective.string(ConfigKeys.LOG_LEVEL));
    StandaloneNode node = new StandaloneNode(effective, StandaloneNode.discoverSetups(Thread.currentThread().getContextClassLoader()));
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onTermination(stop::countDown);
    Thread hook = new Thread(node::stop, "myxi-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      node.start();
    } catch (ConfigException e) {
      return invalid(e);
    } catch (IOException | RuntimeException e) {
      log.error("Could not start: {}", e.getMessage());
      spec.commandLine().getErr().println("myxi-server: could not start: " + e.getMessage());
      printStackTraceIfDebug(spec, e);
      return FAILED;
    }
    String where = String.format("%s://%s:%d/%s", effective.isSet(ConfigKeys.TLS_CERT_FILE) || effective.isSet(ConfigKeys.TLS_KEYSTORE_FILE) ? "wss" : "ws",
        effective.string(ConfigKeys.BIND_ADDRESS), node.port(), node.adminPort() < 0 ? "" : "; admin on http://" + effective.string(ConfigKeys.ADMIN_BIND_ADDRESS) + ":" + node.adminPort() + "/");
    announceReadiness(node, where, stop);
    stop.await();
    log.info("Stop requested: draining");
    node.stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The JVM is exiting anyway; the hook's stop is a no-op now.
    }
    log.info("Stopped");
    return OK;
  }

  /**
   * "Ready for connections" only once /ready would say so: until the broker answers, the node
   * says it listens and waits for RabbitMQ (a daemon thread watches, so start is not held up).
   */
  static void announceReadiness(StandaloneNode node, String where, CountDownLatch stop) {
    if (node.server().isReady()) {
      log.info("Ready for connections on {}", where);
      return;
    }
    log.info("Listening on {}; waiting for RabbitMQ", where);
    Thread watcher = new Thread(() -> {
      try {
        // /ready's own condition, checked a few times a second until it holds or the node stops.
        while (!node.server().isReady()) {
          if (stop.await(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return;
          }
        }
        log.info("Ready for connections on {}", where);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "myxi-readiness");
    watcher.setDaemon(true);
    watcher.start();
  }
}
