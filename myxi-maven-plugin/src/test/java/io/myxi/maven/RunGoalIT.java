package io.myxi.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code mvn myxi:run} on the sample project (src/it/run-sample) as a user would: a real
 * Maven in a child process, with a private local repository (target/it-repo, filled by the invoker
 * plugin's {@code install} goal) and settings that read everything else from the developer's local
 * repository, offline. A WebSocket client uses the sample's action and the configured exchange;
 * then Ctrl-C (SIGINT to the Maven process) drains the node and the build ends with success.
 */
class RunGoalIT {
  private static final Pattern READY = Pattern.compile("Myxi node ready: ws://127\\.0\\.0\\.1:(\\d+)/ admin http://127\\.0\\.0\\.1:(\\d+)/");
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** Under target/, so the forked build's output stays there to read after a failure. */
  private Path work;
  private Process maven;

  @BeforeEach
  void createWorkDirectory() throws IOException {
    Files.createDirectories(Path.of("target"));
    work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "run-goal-");
  }

  @AfterEach
  void killMavenIfStillRunning() {
    if (maven != null && maven.isAlive()) {
      maven.destroyForcibly();
    }
  }

  @Test
  void runsTheProjectsSetupAndDrainsOnCtrlC() throws Exception {
    Path project = copySample();
    Path log = work.resolve("mvn.log");
    String prefix = RabbitMqFixture.unique("mvnrun") + ".";
    maven = startMaven(project, log, "-Dmyxi.exchange_prefix=" + prefix, "myxi:run");

    Matcher ready = await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          assertThat(maven.isAlive()).as("mvn is running; its output:\n%s", read(log)).isTrue();
          return READY.matcher(read(log));
        }, Matcher::find);
    int port = Integer.parseInt(ready.group(1));

    try (TestClient client = TestClient.connect(port)) {
      JsonNode greeting = client.call("Greet", Map.of("name", "maven"));
      assertThat(greeting.path("event").asText()).isEqualTo("Greeting");
      assertThat(greeting.path("payload").path("text").asText()).isEqualTo("hello maven");
      JsonNode subscribed = client.call("Subscribe", Map.of("exchange", "rooms", "routing_key", "lobby"));
      assertThat(subscribed.path("event").asText()).isEqualTo("Subscribed");

      new ProcessBuilder("kill", "-INT", Long.toString(maven.pid())).inheritIO().start().waitFor();
      assertThat(client.awaitClose(Duration.ofSeconds(30))).as("the drain closes the session").isPositive();
    }
    assertThat(maven.waitFor(60, TimeUnit.SECONDS)).as("mvn exits after the drain").isTrue();
    String output = read(log);
    assertThat(maven.exitValue()).as("exit code; output:\n%s", output).isZero();
    assertThat(output)
        .contains("Application setup sample.GreeterSetup applied")
        .contains("Stop requested: draining the Myxi node")
        .containsPattern("Node \\S+ draining: closing 1 sessions")
        .contains("Myxi node stopped")
        .contains("BUILD SUCCESS");
  }

  @Test
  void theFullCoordinatesWorkTooAndABadConfigurationFailsTheBuildNamingTheKey() throws Exception {
    Path project = copySample();
    Path log = work.resolve("mvn.log");
    String version = System.getProperty("myxi.version", "0.2.0-SNAPSHOT");
    maven = startMaven(project, log, "-Dmyxi.shutdown_window=soon", "io.myxi:myxi-maven-plugin:" + version + ":run");

    assertThat(maven.waitFor(3, TimeUnit.MINUTES)).as("mvn ends").isTrue();
    String output = read(log);
    assertThat(maven.exitValue()).as("exit code; output:\n%s", output).isEqualTo(1);
    assertThat(output).contains("invalid Myxi configuration").containsPattern("shutdown_window.*soon").contains("BUILD FAILURE");
  }

  /** mvn offline on the copied sample, the private repository, a free port and the test broker. */
  private Process startMaven(Path project, Path log, String... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        mavenExecutable(), "-B", "-o", "-ntp", "-Dstyle.color=never",
        "-s", settings().toString(),
        "-Dmaven.repo.local=" + privateRepository(),
        // The mirror is a file: URL; offline mode may still read it.
        "-Daether.offline.protocols=file",
        "-Dmyxi.port=0", "-Dmyxi.bind_address=127.0.0.1",
        "-Dmyxi.admin.port=0", "-Dmyxi.admin.bind_address=127.0.0.1",
        "-Dmyxi.broker.url=" + RabbitMqFixture.uri()));
    command.addAll(List.of(arguments));
    return new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private Path copySample() throws IOException {
    Path source = Path.of(System.getProperty("myxi.it.sample", "src/it/run-sample"));
    Path target = work.resolve("run-sample");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path copy = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy);
        } else {
          String text = Files.readString(file, StandardCharsets.UTF_8);
          Files.writeString(copy, text.replace("@project.version@", System.getProperty("myxi.version", "0.2.0-SNAPSHOT")), StandardCharsets.UTF_8);
        }
      }
    }
    return target;
  }

  private Path settings() throws IOException {
    String localRepository = System.getProperty("myxi.it.userRepository", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    String text = Files.readString(Path.of("src/it/settings.xml"), StandardCharsets.UTF_8)
        .replace("@localRepositoryUrl@", Path.of(localRepository).toUri().toString());
    Path settings = work.resolve("settings.xml");
    Files.writeString(settings, text, StandardCharsets.UTF_8);
    return settings;
  }

  private static Path privateRepository() {
    Path repository = Path.of(System.getProperty("myxi.it.repository", "target/it-repo")).toAbsolutePath();
    assertThat(repository.resolve("io/myxi/myxi-maven-plugin")).as("the invoker plugin's install goal filled %s", repository).isDirectory();
    return repository;
  }

  private static String mavenExecutable() {
    String home = System.getProperty("maven.home");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
      return Path.of(home, "bin", "mvn").toString();
    }
    return "mvn";
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
