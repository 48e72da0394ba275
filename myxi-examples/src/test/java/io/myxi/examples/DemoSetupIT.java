package io.myxi.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plug-in way: {@code java -cp myxi-server.jar:myxi-examples.jar io.myxi.service.Main start}
 * finds {@link DemoSetup} through the ServiceLoader and serves its actions and exchanges next to
 * the configured ones, with the built-in token Authenticate.
 */
class DemoSetupIT {
  private static final String SECRET = "demo-secret-0123456789abcdef-0123456789";
  private static final Pattern READY = Pattern.compile("Ready for connections on ws://[^:]+:(\\d+)/");

  @TempDir
  Path dir;

  @Test
  void the_runnable_server_applies_the_setup_found_on_the_class_path() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("myxi.jar") + File.pathSeparator + System.getProperty("examples.jar");
    Map<String, String> env = Map.of("MYXI_AUTH_SECRET", SECRET, "RABBITMQ_URL", RabbitMqFixture.uri(), "MYXI_EXCHANGE_PREFIX", RabbitMqFixture.unique("demo") + ".");

    Path tokenOut = dir.resolve("token.out");
    Process token = process(List.of(java, "-cp", classpath, "io.myxi.service.Main", "token", "--user", "alice"), env, tokenOut);
    try {
      assertThat(token.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      token.destroyForcibly();
    }
    String aliceToken = Files.readString(tokenOut).trim();

    Path log = dir.resolve("node.log");
    Process node = process(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", classpath, "io.myxi.service.Main", "start", "--config", System.getProperty("demo.config"),
        "--port", "0", "--bind-address", "127.0.0.1", "--admin-enabled", "false", "--shutdown-window", "0s"), env, log);
    try {
      int[] port = new int[1];
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        String text = Files.readString(log, StandardCharsets.UTF_8);
        if (!node.isAlive()) {
          throw new AssertionError("node exited: " + text);
        }
        Matcher matcher = READY.matcher(text);
        if (matcher.find()) {
          port[0] = Integer.parseInt(matcher.group(1));
          return true;
        }
        return false;
      });
      assertThat(Files.readString(log)).contains("Application setup io.myxi.examples.DemoSetup applied");
      try (TestClient client = TestClient.connect(port[0])) {
        assertThat(client.call("SayHello", null).path("event").asText()).isEqualTo("HelloThere");
        JsonNode authenticated = client.call("Authenticate", Map.of("token", aliceToken));
        assertThat(authenticated.path("event").asText()).isEqualTo("Authenticated");
        assertThat(client.call("Subscribe", Map.of("exchange", "users", "routing_key", "alice")).path("event").asText()).isEqualTo("Subscribed");
        assertThat(client.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")).path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
        assertThat(client.call("Subscribe", Map.of("exchange", "news", "routing_key", "all")).path("event").asText()).isEqualTo("Subscribed");
      }
      node.destroy();
      assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(node.exitValue()).isZero();
    } finally {
      if (node.isAlive()) {
        ProcessHandle.of(node.pid()).ifPresent(ProcessHandle::destroyForcibly);
        node.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Process process(List<String> command, Map<String, String> env, Path output) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("MYXI_") || name.equals("RABBITMQ_URL") || name.equals("PORT"));
    builder.environment().putAll(env);
    return builder.start();
  }
}
