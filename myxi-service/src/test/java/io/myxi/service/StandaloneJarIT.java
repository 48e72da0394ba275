package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.myxi.CloseCodes;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded myxi-server.jar as a non-Java application uses it: a child process started with a
 * YAML file and env vars, tokens minted by the jar itself, events pushed with POST /publish and
 * with the CLI, stopped with SIGTERM.
 */
class StandaloneJarIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String SECRET = "jar-test-secret-0123456789abcdef-0123";

  @TempDir
  Path dir;

  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    cleanup.add(resource);
    return resource;
  }

  private static JsonNode call(TestClient client, String action, Map<String, ?> payload) {
    return client.call(action, payload);
  }

  private static String subscribe(TestClient client, String exchange, String key) {
    JsonNode reply = client.call("Subscribe", Map.of("exchange", exchange, "routing_key", key));
    return reply.path("event").asText().equals("Error") ? reply.path("payload").path("error").asText() : reply.path("event").asText();
  }

  private static HttpResponse<String> post(int port, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void a_non_java_app_runs_the_jar_mints_tokens_subscribes_under_every_rule_publishes_and_stops_it_with_sigterm() throws Exception {
    HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    app.createContext("/myxi/authorize", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        JsonNode asked = MAPPER.readTree(in.readAllBytes());
        boolean allowed = "alice".equals(asked.path("user").asText()) && asked.path("routing_key").asText().startsWith("ok");
        exchange.sendResponseHeaders(allowed ? 200 : 403, -1);
      }
    });
    app.start();
    closing(() -> app.stop(0));
    String prefix = RabbitMqFixture.unique("jar") + ".";
    Path pidfile = dir.resolve("myxi.pid");
    Path config = Files.writeString(dir.resolve("myxi.yml"), """
        port: 0
        bind_address: 127.0.0.1
        exchange_prefix: "%s"
        exchanges:
          news: public
          inbox: authenticated
          widgets: token
          orders:
            access: http
            url: http://127.0.0.1:%d/myxi/authorize
        auth:
          leeway: 0s
        admin:
          port: 0
        shutdown_window: 1s
        pidfile: %s
        """.formatted(prefix, app.getAddress().getPort(), pidfile));
    Map<String, String> env = Map.of("RABBITMQ_URL", RabbitMqFixture.uri(), "MYXI_AUTH_SECRET", SECRET, "MYXI_LOG_LEVEL", "DEBUG");
    JarProcess node = closing(JarProcess.start(dir, env, "start", "--config", config.toString()));
    assertThat(Files.readString(pidfile).trim()).isEqualTo(String.valueOf(node.process.pid()));

    JarProcess.Result minted = JarProcess.run(dir, Map.of("MYXI_AUTH_SECRET", SECRET), "token", "--user", "alice", "--grant", "widgets:1*", "--ttl", "10m");
    assertThat(minted.exitCode()).as(minted.stderr()).isZero();
    String token = minted.stdout().trim();

    TestClient alice = closing(TestClient.connect(node.port));
    assertThat(subscribe(alice, "inbox", "alice")).isEqualTo("SubscriptionDenied");
    JsonNode authenticated = call(alice, "Authenticate", Map.of("token", token));
    assertThat(authenticated.path("event").asText()).isEqualTo("Authenticated");
    assertThat(authenticated.path("payload").path("user").asText()).isEqualTo("alice");
    assertThat(subscribe(alice, "news", "all")).isEqualTo("Subscribed");
    assertThat(subscribe(alice, "inbox", "alice")).isEqualTo("Subscribed");
    assertThat(subscribe(alice, "widgets", "12")).isEqualTo("Subscribed");
    assertThat(subscribe(alice, "widgets", "99")).isEqualTo("SubscriptionDenied");
    assertThat(subscribe(alice, "orders", "ok-1")).isEqualTo("Subscribed");
    assertThat(subscribe(alice, "orders", "no-1")).isEqualTo("SubscriptionDenied");

    // Expired and forged tokens.
    TestClient mallory = closing(TestClient.connect(node.port));
    String expired = JWT.create().withSubject("alice").withExpiresAt(Instant.now().minusSeconds(30)).withArrayClaim("grants", new String[] {"widgets:*"})
        .sign(Algorithm.HMAC256(SECRET));
    JsonNode expiredReply = call(mallory, "Authenticate", Map.of("token", expired));
    assertThat(expiredReply.path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
    assertThat(expiredReply.path("payload").path("reason").asText()).isEqualTo("expired");
    String forged = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(300)).withArrayClaim("grants", new String[] {"widgets:*"})
        .sign(Algorithm.HMAC256("not-the-secret-0123456789abcdef-0123456"));
    JsonNode forgedReply = call(mallory, "Authenticate", Map.of("token", forged));
    assertThat(forgedReply.path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
    assertThat(forgedReply.path("payload").path("reason").asText()).isEqualTo("invalid");
    assertThat(subscribe(mallory, "widgets", "12")).isEqualTo("SubscriptionDenied");
    assertThat(subscribe(mallory, "news", "all")).isEqualTo("Subscribed");

    // curl -X POST /publish
    HttpResponse<String> published = post(node.adminPort, "/publish", "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"Headline\",\"payload\":{\"text\":\"hi\"}}");
    assertThat(published.statusCode()).isEqualTo(202);
    assertThat(alice.nextEvent("Headline").path("payload").path("text").asText()).isEqualTo("hi");
    assertThat(mallory.nextEvent("Headline").path("mq").path("e").asText()).isEqualTo("news");

    // myxi-server publish, through the admin API and straight to RabbitMQ.
    JarProcess.Result viaAdmin = JarProcess.run(dir, Map.of(), "publish", "--admin-url", "http://127.0.0.1:" + node.adminPort, "widgets", "12", "WidgetUpdated", "{\"name\":\"Bolt\"}");
    assertThat(viaAdmin.exitCode()).as(viaAdmin.stderr()).isZero();
    assertThat(alice.nextEvent("WidgetUpdated").path("payload").path("name").asText()).isEqualTo("Bolt");
    JarProcess.Result viaRabbit = JarProcess.run(dir, Map.of("RABBITMQ_URL", RabbitMqFixture.uri()), "publish", "--exchange-prefix", prefix, "orders", "ok-1", "OrderShipped", "{\"id\":7}");
    assertThat(viaRabbit.exitCode()).as(viaRabbit.stderr()).isZero();
    assertThat(alice.nextEvent("OrderShipped").path("payload").path("id").asInt()).isEqualTo(7);
    JarProcess.Result inbox = JarProcess.run(dir, Map.of(), "publish", "--admin-url", "http://127.0.0.1:" + node.adminPort, "inbox", "alice", "Mail");
    assertThat(inbox.exitCode()).as(inbox.stderr()).isZero();
    assertThat(alice.nextEvent("Mail").path("payload").isNull()).isTrue();

    // status and metrics
    JarProcess.Result status = JarProcess.run(dir, Map.of("MYXI_ADMIN_URL", "http://127.0.0.1:" + node.adminPort), "status");
    assertThat(status.exitCode()).as(status.stderr()).isZero();
    JsonNode statusJson = MAPPER.readTree(status.stdout());
    assertThat(statusJson.path("sessions").asInt()).isEqualTo(2);
    assertThat(statusJson.path("authenticated_sessions").asInt()).isEqualTo(1);
    assertThat(statusJson.path("broker").path("connected").asBoolean()).isTrue();
    assertThat(statusJson.path("version").asText()).isNotEmpty();
    Map<String, Double> metrics = PrometheusText.parse(get(node.adminPort, "/metrics").body());
    assertThat(metrics).containsEntry("myxi_sessions", 2.0).containsEntry("myxi_subscriptions", 5.0).containsEntry("myxi_publish_seconds_count{result=\"confirmed\"}", 3.0);
    assertThat(metrics.get("myxi_deliveries_received_total")).isGreaterThanOrEqualTo(4.0);
    assertThat(get(node.adminPort, "/ready").statusCode()).isEqualTo(200);

    // SIGTERM: sessions are told to go away, the node drains and exits 0.
    int exit = node.terminate(Duration.ofSeconds(30));
    assertThat(exit).as(node.output()).isZero();
    assertThat(alice.awaitClose()).isEqualTo(CloseCodes.GOING_AWAY);
    assertThat(mallory.awaitClose()).isEqualTo(CloseCodes.GOING_AWAY);
    String log = node.output();
    assertThat(log).contains("Stop requested: draining").contains("Stopped");
    assertThat(log).as("tokens never appear in logs").doesNotContain(token).doesNotContain(expired).doesNotContain(forged).doesNotContain(SECRET);
    assertThat(pidfile).doesNotExist();
  }

  @Test
  void bad_configurations_are_refused_at_start_naming_the_key_and_the_reason() throws Exception {
    Map<String, String> cases = Map.of(
        "port: 0\nbroker:\n  hearbeat: 5s\n", "broker.hearbeat: unknown key in " + dir.resolve("bad.yml") + " (did you mean broker.heartbeat?)",
        "port: 0\nshutdown_window: soon\n", "shutdown_window: expected a duration with a unit, such as 500ms, 10s, 5m or 1h (file " + dir.resolve("bad.yml") + "), got 'soon'",
        "exchanges:\n  widgets: token\n", "auth.secret: required by exchanges.widgets (access token): set auth.secret (MYXI_AUTH_SECRET) or auth.public_key_file",
        "exchanges: [\n", "config file " + dir.resolve("bad.yml") + ": not valid YAML at line");
    for (Map.Entry<String, String> entry : cases.entrySet()) {
      Path bad = Files.writeString(dir.resolve("bad.yml"), entry.getKey());
      JarProcess.Result start = JarProcess.run(dir, Map.of(), "start", "--config", bad.toString());
      assertThat(start.exitCode()).as(entry.getKey()).isEqualTo(Cli.BAD_CONFIGURATION);
      assertThat(start.stderr()).as(entry.getKey()).contains("myxi-server: invalid configuration:").contains("  - " + entry.getValue());
    }
    JarProcess.Result missing = JarProcess.run(dir, Map.of(), "check-config", dir.resolve("missing.yml").toString());
    assertThat(missing.exitCode()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(missing.stderr()).contains("config file " + dir.resolve("missing.yml") + ": not found");
    JarProcess.Result unknownEnv = JarProcess.run(dir, Map.of("MYXI_PROT", "1"), "check-config");
    assertThat(unknownEnv.exitCode()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(unknownEnv.stderr()).contains("MYXI_PROT: unknown environment variable (did you mean MYXI_PORT?)");
  }

  @Test
  void check_config_prints_the_effective_configuration_with_secrets_masked() throws Exception {
    Path config = Files.writeString(dir.resolve("ok.yml"), "exchanges:\n  widgets: token\nadmin:\n  token: admin-secret-0123456789\n");
    JarProcess.Result result = JarProcess.run(dir, Map.of("MYXI_AUTH_SECRET", SECRET, "RABBITMQ_URL", "amqp://app:pa55word@rabbit:5672/"),
        "check-config", config.toString(), "--port", "6000");
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout()).contains("port: 6000  # flag --port")
        .contains("auth.secret: '****'  # env MYXI_AUTH_SECRET")
        .contains("broker.url: amqp://app:***@rabbit:5672/  # env RABBITMQ_URL")
        .contains("  widgets: {access: token}")
        .doesNotContain(SECRET).doesNotContain("pa55word").doesNotContain("admin-secret-0123456789");
    assertThat(result.stderr()).contains("configuration OK");
  }

  @Test
  void version_and_help_on_every_command() throws Exception {
    JarProcess.Result version = JarProcess.run(dir, Map.of(), "--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.stdout()).startsWith("myxi-server 0.");
    for (String command : List.of("start", "check-config", "token", "publish", "status")) {
      JarProcess.Result help = JarProcess.run(dir, Map.of(), command, "--help");
      assertThat(help.exitCode()).as(command).isZero();
      assertThat(help.stdout()).as(command).startsWith("Usage: myxi-server " + command);
    }
  }

  @Test
  void a_node_without_rabbitmq_answers_503_on_publish_and_ready() throws Exception {
    Path config = Files.writeString(dir.resolve("norabbit.yml"), """
        port: 0
        bind_address: 127.0.0.1
        broker:
          url: amqp://guest:guest@127.0.0.1:1/
          publish_timeout: 500ms
        exchanges:
          news: public
        admin:
          port: 0
        shutdown_window: 0s
        """);
    JarProcess node = closing(JarProcess.start(dir, Map.of(), "start", "--config", config.toString()));
    HttpResponse<String> publish = post(node.adminPort, "/publish", "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"E\"}");
    assertThat(publish.statusCode()).isEqualTo(503);
    assertThat(MAPPER.readTree(publish.body()).path("error").asText()).isEqualTo("BrokerUnavailable");
    assertThat(get(node.adminPort, "/ready").statusCode()).isEqualTo(503);
    assertThat(get(node.adminPort, "/health").statusCode()).isEqualTo(200);
    // The node does not claim to be ready while /ready answers 503.
    assertThat(Files.readString(node.output)).contains("; waiting for RabbitMQ").doesNotContain("Ready for connections");
    assertThat(new String(get(node.adminPort, "/health").body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).contains("up");
    assertThat(node.terminate(Duration.ofSeconds(30))).isZero();
  }
}
