package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's commands in process: exit codes and messages. */
class CliTest {
  private final NodeHarness harness = new NodeHarness();

  @TempDir
  Path dir;

  @AfterEach
  void tearDown() {
    harness.close();
  }

  record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void token_mints_a_jwt_with_sub_exp_grants_and_extra_claims() {
    Run run = run(Map.of("MYXI_AUTH_SECRET", NodeHarness.SECRET), "token", "-u", "alice", "-g", "widgets:*", "-g", "users:alice", "--ttl", "15m",
        "--claim", "org=7", "--claim", "role=admin", "--issuer", "https://app.example");
    assertThat(run.code()).as(run.err()).isZero();
    DecodedJWT jwt = JWT.require(Algorithm.HMAC256(NodeHarness.SECRET)).withIssuer("https://app.example").build().verify(run.out().trim());
    assertThat(jwt.getSubject()).isEqualTo("alice");
    assertThat(jwt.getClaim("grants").asList(String.class)).containsExactly("widgets:*", "users:alice");
    assertThat(jwt.getClaim("org").asInt()).isEqualTo(7);
    assertThat(jwt.getClaim("role").asString()).isEqualTo("admin");
    assertThat(jwt.getExpiresAtAsInstant()).isBetween(Instant.now().plusSeconds(800), Instant.now().plusSeconds(901));
  }

  @Test
  void token_refuses_a_missing_secret_and_bad_arguments() {
    Run noSecret = run(Map.of(), "token", "--user", "alice");
    assertThat(noSecret.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(noSecret.err()).contains("auth.secret: a secret of at least 32 bytes is required to sign HS256 tokens (--secret or MYXI_AUTH_SECRET)");
    Run badGrant = run(Map.of("MYXI_AUTH_SECRET", NodeHarness.SECRET), "token", "--user", "alice", "--grant", "widgets");
    assertThat(badGrant.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(badGrant.err()).contains("--grant: expected EXCHANGE:PATTERN such as widgets:*, got 'widgets'");
    Run badTtl = run(Map.of("MYXI_AUTH_SECRET", NodeHarness.SECRET), "token", "--user", "alice", "--ttl", "forever");
    assertThat(badTtl.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    Run noUser = run(Map.of(), "token");
    assertThat(noUser.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(noUser.err()).contains("Missing required option: '--user=<user>'");
  }

  @Test
  void publish_straight_to_rabbitmq_reaches_the_node_and_bad_payloads_are_refused() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient client = harness.connect(node);
    client.call("Subscribe", Map.of("exchange", "news", "routing_key", "all"));
    Run published = run(Map.of("RABBITMQ_URL", RabbitMqFixture.uri(), "MYXI_EXCHANGE_PREFIX", harness.prefix), "publish", "news", "all", "Hello", "{\"n\":1}");
    assertThat(published.code()).as(published.err()).isZero();
    assertThat(client.nextEvent("Hello").path("payload").path("n").asInt()).isEqualTo(1);

    Run badJson = run(Map.of(), "publish", "news", "all", "Hello", "{nope");
    assertThat(badJson.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(badJson.err()).contains("PAYLOAD_JSON is not JSON");

    Run unknownExchange = run(Map.of(), "publish", "--admin-url", "http://127.0.0.1:" + node.adminPort(), "nope", "all", "Hello");
    assertThat(unknownExchange.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(unknownExchange.err()).contains("HTTP 400").contains("InvalidExchange");
  }

  @Test
  void status_and_publish_report_an_unreachable_node_with_exit_1() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run status = run(Map.of(), "status", "--admin-url", "http://127.0.0.1:" + closedPort);
    assertThat(status.code()).isEqualTo(Cli.FAILED);
    assertThat(status.err()).contains("cannot reach the admin API at http://127.0.0.1:" + closedPort);
    Run publish = run(Map.of("MYXI_ADMIN_URL", "http://127.0.0.1:" + closedPort), "publish", "news", "all", "Hello");
    assertThat(publish.code()).isEqualTo(Cli.FAILED);
  }

  @Test
  void status_prints_the_node_status_with_the_admin_token() throws Exception {
    String adminToken = "admin-token-0123456789";
    StandaloneNode node = harness.start(Map.of("admin.token", adminToken));
    Run refused = run(Map.of(), "status", "--admin-url", "http://127.0.0.1:" + node.adminPort());
    assertThat(refused.code()).isEqualTo(Cli.FAILED);
    assertThat(refused.err()).contains("HTTP 401");
    Run status = run(Map.of("MYXI_ADMIN_TOKEN", adminToken), "status", "--admin-url", "http://127.0.0.1:" + node.adminPort());
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("\"node_id\" : \"" + node.server().nodeId() + "\"");
  }

  @Test
  void no_command_prints_usage_and_exits_2() {
    Run run = run(Map.of());
    assertThat(run.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(run.out()).startsWith("Usage: myxi-server");
  }

  @Test
  void a_mistyped_option_or_command_gets_one_line_with_a_suggestion_not_the_help() {
    Run typo = run(Map.of(), "start", "--prot", "5005");
    assertThat(typo.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(typo.err()).isEqualTo("myxi-server: unknown option '--prot' (did you mean --port?); see 'myxi-server start --help'" + System.lineSeparator());
    assertThat(typo.out()).isEmpty();
    Run command = run(Map.of(), "statsu");
    assertThat(command.code()).isEqualTo(Cli.BAD_CONFIGURATION);
    assertThat(command.err()).startsWith("myxi-server: unknown command or argument 'statsu' (did you mean status?); see 'myxi-server --help'")
        .hasLineCount(1);
    Run missing = run(Map.of(), "token");
    assertThat(missing.err()).hasLineCount(1).contains("see 'myxi-server token --help'");
  }

  @Test
  void status_reads_the_admin_listener_from_the_configuration() throws Exception {
    StandaloneNode node = harness.start(Map.of());
    Path config = Files.writeString(dir.resolve("myxi.yml"), "admin:\n  port: " + node.adminPort() + "\n");
    Run status = run(Map.of(), "status", "--config", config.toString());
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("\"node_id\" : \"" + node.server().nodeId() + "\"");
    Run fromEnv = run(Map.of("MYXI_CONFIG", config.toString()), "status");
    assertThat(fromEnv.code()).as(fromEnv.err()).isZero();
  }

  @Test
  void token_puts_the_grants_in_the_configured_claim() throws Exception {
    Path config = Files.writeString(dir.resolve("myxi.yml"), "auth:\n  grants_claim: permissions\n");
    Run run = run(Map.of("MYXI_AUTH_SECRET", NodeHarness.SECRET), "token", "--config", config.toString(), "-u", "alice", "-g", "widgets:*");
    assertThat(run.code()).as(run.err()).isZero();
    DecodedJWT jwt = JWT.require(Algorithm.HMAC256(NodeHarness.SECRET)).build().verify(run.out().trim());
    assertThat(jwt.getClaim("permissions").asList(String.class)).containsExactly("widgets:*");
    assertThat(jwt.getClaim("grants").isMissing()).isTrue();
  }

  @Test
  void expected_failures_are_one_clear_line() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Run portInUse = run(Map.of(), "start", "--port", String.valueOf(taken.getLocalPort()), "--bind-address", "127.0.0.1", "--admin-enabled", "false",
          "--broker-url", "in-process");
      assertThat(portInUse.code()).isEqualTo(Cli.FAILED);
      assertThat(portInUse.err()).hasLineCount(1).contains("127.0.0.1:" + taken.getLocalPort() + ": Address already in use").doesNotContain("\tat ");
    }
    String wrongPassword = RabbitMqFixture.uri().replaceFirst("//([^:@/]+):([^@/]+)@", "//$1:wrong-password@");
    Run refused = run(Map.of("RABBITMQ_URL", wrongPassword), "publish", "news", "all", "Hello");
    assertThat(refused.code()).isEqualTo(Cli.FAILED);
    assertThat(refused.err()).hasLineCount(1).doesNotContain("\tat ");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run unreachable = run(Map.of("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:" + closedPort), "publish", "news", "all", "Hello");
    assertThat(unreachable.code()).isEqualTo(Cli.FAILED);
    assertThat(unreachable.err()).hasLineCount(1).doesNotContain("\tat ");
    assertThat(refused.err()).contains("check the user and password");
    Run debug = run(Map.of("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:" + closedPort), "publish", "--debug", "news", "all", "Hello");
    assertThat(debug.code()).isEqualTo(Cli.FAILED);
    assertThat(debug.err()).contains("\tat ");
  }

  @Test
  void check_config_warns_about_a_readable_secret_file_and_a_public_node_without_caps() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("myxi-cli", ".yml");
    try {
      java.nio.file.Files.writeString(file, "auth:\n  secret: " + NodeHarness.SECRET + "\n");
      java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      Run run = run(Map.of(), "check-config", file.toString());
      assertThat(run.code()).as(run.err()).isZero();
      assertThat(run.err())
          .contains("myxi-server: warning: config file " + file + " holds secrets (auth.secret) and can be read by others: chmod 600 it")
          .contains("myxi-server: warning: limits.max_connections_per_address is 0 (no cap) on a public-facing node (bind_address 0.0.0.0)")
          .contains("myxi-server: warning: authentication_timeout is 0 (unauthenticated sessions stay open) on a public-facing node")
          .contains("configuration OK")
          .doesNotContain(NodeHarness.SECRET);

      java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      Run quiet = run(Map.of(), "check-config", file.toString(), "--bind-address", "127.0.0.1");
      assertThat(quiet.err()).doesNotContain("warning").contains("configuration OK");
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }
}
