package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.service.Config.Source;
import io.myxi.service.ExchangeRule.Access;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  private Path file(String yaml) throws IOException {
    Path file = dir.resolve("myxi.yml");
    Files.writeString(file, yaml);
    return file;
  }

  private static List<String> problems(ThrowingLoad load) {
    try {
      load.run();
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ConfigException");
  }

  interface ThrowingLoad {
    void run() throws ConfigException;
  }

  @Test
  void defaults_apply_when_nothing_is_set() throws Exception {
    Config config = ConfigLoader.load(null, Map.of(), Map.of());
    assertThat(config.integer(ConfigKeys.PORT)).isEqualTo(5005);
    assertThat(config.integer(ConfigKeys.ADMIN_PORT)).isEqualTo(5006);
    assertThat(config.string(ConfigKeys.ADMIN_BIND_ADDRESS)).isEqualTo("127.0.0.1");
    assertThat(config.duration(ConfigKeys.AUTHORIZATION_TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.entry(ConfigKeys.PORT).source()).isEqualTo(Source.DEFAULT);
    assertThat(config.tokensEnabled()).isFalse();
    assertThat(config.exchanges()).isEmpty();
  }

  @Test
  void flag_beats_env_beats_file_beats_default() throws Exception {
    Path file = file("port: 7001\nshutdown_window: 3s\ntouch_interval: 10s\n");
    Config fileOnly = ConfigLoader.load(file, Map.of(), Map.of());
    assertThat(fileOnly.integer(ConfigKeys.PORT)).isEqualTo(7001);
    assertThat(fileOnly.entry(ConfigKeys.PORT).source()).isEqualTo(Source.FILE);

    Config env = ConfigLoader.load(file, Map.of("MYXI_PORT", "7002", "MYXI_SHUTDOWN_WINDOW", "4s"), Map.of());
    assertThat(env.integer(ConfigKeys.PORT)).isEqualTo(7002);
    assertThat(env.entry(ConfigKeys.PORT).origin()).isEqualTo("env MYXI_PORT");
    assertThat(env.duration(ConfigKeys.SHUTDOWN_WINDOW)).isEqualTo(Duration.ofSeconds(4));
    assertThat(env.duration(ConfigKeys.REAUTHORIZE_INTERVAL)).isEqualTo(Duration.ofSeconds(10));

    Config flag = ConfigLoader.load(file, Map.of("MYXI_PORT", "7002"), Map.of("port", "7003"));
    assertThat(flag.integer(ConfigKeys.PORT)).isEqualTo(7003);
    assertThat(flag.entry(ConfigKeys.PORT).source()).isEqualTo(Source.FLAG);
  }

  @Test
  void myxi_variables_beat_the_conventional_ones() throws Exception {
    Config port = ConfigLoader.load(null, Map.of("PORT", "8080"), Map.of());
    assertThat(port.integer(ConfigKeys.PORT)).isEqualTo(8080);
    assertThat(ConfigLoader.load(null, Map.of("PORT", "8080", "MYXI_PORT", "9090"), Map.of()).integer(ConfigKeys.PORT)).isEqualTo(9090);

    Config rabbit = ConfigLoader.load(null, Map.of("RABBITMQ_URL", "amqp://u:p@rabbit:5672"), Map.of());
    assertThat(rabbit.brokerUrls()).containsExactly("amqp://u:p@rabbit:5672");
    assertThat(ConfigLoader.load(null, Map.of("RABBITMQ_URL", "amqp://a", "MYXI_BROKER_URL", "amqp://b"), Map.of()).brokerUrls()).containsExactly("amqp://b");
  }

  @Test
  void unknown_keys_are_refused_naming_the_key_and_a_suggestion() throws Exception {
    Path file = file("broker:\n  hearbeat: 5s\nprot: 1\nlimits:\n  max_connection: 3\n");
    assertThat(problems(() -> ConfigLoader.load(file, Map.of(), Map.of()))).containsExactly(
        "broker.hearbeat: unknown key in " + file + " (did you mean broker.heartbeat?)",
        "prot: unknown key in " + file + " (did you mean port?)",
        "limits.max_connection: unknown key in " + file + " (did you mean limits.max_connections?)");
  }

  @Test
  void unknown_myxi_environment_variables_are_refused() {
    assertThat(problems(() -> ConfigLoader.load(null, Map.of("MYXI_BROKER_UR", "amqp://x"), Map.of())))
        .containsExactly("MYXI_BROKER_UR: unknown environment variable (did you mean MYXI_BROKER_URL?)");
  }

  @Test
  void bad_values_name_the_key_the_source_and_the_reason() throws Exception {
    Path file = file("port: 70000\nbroker:\n  heartbeat: 10\nadmin:\n  enabled: yes please\nauth:\n  algorithm: HS512\nworker_threads: many\n");
    assertThat(problems(() -> ConfigLoader.load(file, Map.of("MYXI_TOUCH_INTERVAL", "soon"), Map.of()))).containsExactlyInAnyOrder(
        "port: must be in 0..65535 (file " + file + "), got 70000",
        "broker.heartbeat: expected a duration with a unit, such as 500ms, 10s, 5m or 1h (file " + file + "), got '10'",
        "admin.enabled: expected true or false (file " + file + "), got 'yes please'",
        "auth.algorithm: expected one of HS256, RS256, ES256 (file " + file + "), got 'HS512'",
        "worker_threads: expected a whole number (file " + file + "), got 'many'",
        "touch_interval: expected a duration with a unit, such as 500ms, 10s, 5m or 1h (env MYXI_TOUCH_INTERVAL), got 'soon'");
  }

  @Test
  void a_file_that_is_not_yaml_or_not_a_mapping_or_missing_is_refused() throws Exception {
    Path broken = file("port: [1,\n");
    assertThat(problems(() -> ConfigLoader.load(broken, Map.of(), Map.of())).get(0)).startsWith("config file " + broken + ": not valid YAML at line");
    Path list = file("- port\n");
    assertThat(problems(() -> ConfigLoader.load(list, Map.of(), Map.of()))).containsExactly("config file " + list + ": expected a mapping of keys (key: value), found a list");
    Path missing = dir.resolve("nope.yml");
    assertThat(problems(() -> ConfigLoader.load(missing, Map.of(), Map.of()))).containsExactly("config file " + missing + ": not found");
    Path section = file("broker: amqp://localhost\n");
    assertThat(problems(() -> ConfigLoader.load(section, Map.of(), Map.of())).get(0)).startsWith("broker: expected a section of keys (url, ca_file,");
  }

  @Test
  void exchanges_come_from_the_file_in_short_and_long_form() throws Exception {
    Path file = file("""
        exchanges:
          news: public
          widgets: token
          orders:
            access: http
            url: http://app.internal/myxi/authorize
            timeout: 1500ms
            cache_ttl: 30s
          inbox: {access: authenticated}
        auth:
          secret: %s
        """.formatted(SECRET));
    List<ExchangeRule> rules = ConfigLoader.load(file, Map.of(), Map.of()).exchanges();
    assertThat(rules).containsExactly(
        new ExchangeRule("news", Access.PUBLIC, null, null, null),
        new ExchangeRule("widgets", Access.TOKEN, null, null, null),
        new ExchangeRule("orders", Access.HTTP, "http://app.internal/myxi/authorize", Duration.ofMillis(1500), Duration.ofSeconds(30)),
        new ExchangeRule("inbox", Access.AUTHENTICATED, null, null, null));
  }

  @Test
  void an_exchange_can_keep_history_with_a_maximum_age_and_or_size() throws Exception {
    Path file = file("""
        exchanges:
          deploys: {access: token, history: {max_age: 1h, max_bytes: 1GB}}
          logs:
            access: public
            history: {max_bytes: 512MiB}
          news: public
        auth:
          secret: %s
        """.formatted(SECRET));
    List<ExchangeRule> rules = ConfigLoader.load(file, Map.of(), Map.of()).exchanges();
    assertThat(rules).containsExactly(
        new ExchangeRule("deploys", Access.TOKEN, null, null, null, io.myxi.Retention.maxAge(Duration.ofHours(1)).withMaxBytes(1_000_000_000L)),
        new ExchangeRule("logs", Access.PUBLIC, null, null, null, io.myxi.Retention.maxBytes(512L << 20)),
        new ExchangeRule("news", Access.PUBLIC, null, null, null));
    Path wrong = file("""
        exchanges:
          a: {access: public, history: {}}
          b: {access: public, history: {max_bytes: lots}}
          c: {access: public, history: {max_age: 1h, keep: true}}
        """);
    assertThat(problems(() -> ConfigLoader.load(wrong, Map.of(), Map.of()))).containsExactly(
        "exchanges.a.history: needs max_age, max_bytes or both (file " + wrong + ")",
        "exchanges.b.history.max_bytes: expected a size such as 500MB or 1GB (file " + wrong + "), got 'lots'",
        "exchanges.c.history.keep: unknown key (history has max_age, max_bytes) (file " + wrong + ")");
  }

  @Test
  void the_history_window_is_a_size_from_file_env_or_flag_and_64_mib_by_default() throws Exception {
    Config defaults = ConfigLoader.load(null, Map.of(), Map.of());
    assertThat(defaults.size(ConfigKeys.HISTORY_WINDOW)).isEqualTo(64L << 20);
    assertThat(defaults.entry(ConfigKeys.HISTORY_WINDOW).source()).isEqualTo(Source.DEFAULT);
    assertThat(defaults.describe()).contains("history.window: 64MiB  # default");

    Path file = file("history:\n  window: 256MB\n");
    assertThat(ConfigLoader.load(file, Map.of(), Map.of()).size(ConfigKeys.HISTORY_WINDOW)).isEqualTo(256_000_000L);
    assertThat(ConfigLoader.load(file, Map.of("MYXI_HISTORY_WINDOW", "1GiB"), Map.of()).size(ConfigKeys.HISTORY_WINDOW)).isEqualTo(1L << 30);
    Config flag = ConfigLoader.load(file, Map.of("MYXI_HISTORY_WINDOW", "1GiB"), Map.of("history.window", "0"));
    assertThat(flag.size(ConfigKeys.HISTORY_WINDOW)).as("0: every recovery reads the stream").isZero();
    assertThat(flag.entry(ConfigKeys.HISTORY_WINDOW).origin()).isEqualTo("flag --history-window");
    assertThat(ConfigLoader.load(file("history:\n  window: 4096\n"), Map.of(), Map.of()).size(ConfigKeys.HISTORY_WINDOW)).isEqualTo(4096L);
    assertThat(ConfigLoader.load(null, Map.of(), Map.of("history.window", "8 kib")).size(ConfigKeys.HISTORY_WINDOW)).isEqualTo(8192L);

    Path wrong = file("history:\n  window: lots\n");
    assertThat(problems(() -> ConfigLoader.load(wrong, Map.of(), Map.of()))).containsExactly(
        "history.window: expected a size such as 64MB, 512MiB or 0 (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) (file " + wrong + "), got 'lots'");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of("MYXI_HISTORY_WINDOW", "-1MB"), Map.of()))).containsExactly(
        "history.window: expected a size such as 64MB, 512MiB or 0 (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) (env MYXI_HISTORY_WINDOW), got '-1MB'");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("history.window", "999999999999999TB")))).as("too large for a long")
        .containsExactly("history.window: expected a size such as 64MB, 512MiB or 0 (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) (flag --history-window), got '999999999999999TB'");
    Path notScalar = file("history:\n  window: [1, 2]\n");
    assertThat(problems(() -> ConfigLoader.load(notScalar, Map.of(), Map.of()))).containsExactly(
        "history.window: expected a size such as 64MB (file " + notScalar + "), found a list");
  }

  @Test
  void exchanges_come_from_env_and_flag_as_name_equals_rule() throws Exception {
    Config env = ConfigLoader.load(null, Map.of("MYXI_EXCHANGES", "news=public, inbox=authenticated"), Map.of());
    assertThat(env.exchanges()).extracting(ExchangeRule::name).containsExactly("news", "inbox");
    Config flag = ConfigLoader.load(null, Map.of("MYXI_EXCHANGES", "news=public"), Map.of("exchanges", "orders=http", "authorization.url", "http://app/auth"));
    assertThat(flag.exchanges()).containsExactly(new ExchangeRule("orders", Access.HTTP, null, null, null));
    assertThat(problems(() -> ConfigLoader.load(null, Map.of("MYXI_EXCHANGES", "news"), Map.of())))
        .containsExactly("exchanges: expected name=rule[,name=rule...] such as widgets=token,news=public (env MYXI_EXCHANGES), got 'news'");
  }

  @Test
  void exchange_rules_are_checked() throws Exception {
    Path file = file("""
        exchanges:
          a: publik
          b: {acces: public}
          c: {access: public, url: http://x/}
          d: {access: http, url: "ftp://x/"}
        """);
    assertThat(problems(() -> ConfigLoader.load(file, Map.of(), Map.of()))).containsExactly(
        "exchanges.a: unknown access rule 'publik', expected one of public, authenticated, token, http (file " + file + ")",
        "exchanges.b.acces: unknown key in " + file + " (an exchange has access, url, timeout, cache_ttl, history)",
        "exchanges.b.access: required: one of public, authenticated, token, http (file " + file + ")",
        "exchanges.c: url, timeout and cache_ttl only apply to access http (file " + file + ")",
        "exchanges.d.url: expected an http:// or https:// URL with a host, got ftp://x/ (file " + file + ")");
  }

  @Test
  void missing_secrets_are_named() throws Exception {
    Path tokenWithoutSecret = file("exchanges:\n  widgets: token\n");
    assertThat(problems(() -> ConfigLoader.load(tokenWithoutSecret, Map.of(), Map.of())))
        .containsExactly("auth.secret: required by exchanges.widgets (access token): set auth.secret (MYXI_AUTH_SECRET) or auth.public_key_file");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of("MYXI_AUTH_SECRET", "short"), Map.of())))
        .containsExactly("auth.secret: must be at least 32 bytes for HS256 (env MYXI_AUTH_SECRET)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("auth.algorithm", "RS256"))))
        .containsExactly("auth.public_key_file: required for auth.algorithm RS256 (set it in the file or as MYXI_AUTH_PUBLIC_KEY_FILE)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("admin.bind_address", "0.0.0.0"))))
        .containsExactly("admin.token: required when admin.bind_address (0.0.0.0) is not a loopback address (set MYXI_ADMIN_TOKEN)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("admin.require_token", "true"))))
        .containsExactly("admin.token: required because admin.require_token is true (set MYXI_ADMIN_TOKEN)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("exchanges", "orders=http"))))
        .containsExactly("exchanges.orders.url: required for access http, or set authorization.url");
  }

  @Test
  void keys_that_go_together_are_checked() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("tls.cert_file", cert.toString()))))
        .containsExactly("tls.key_file: tls.cert_file and tls.key_file go together");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("broker.ca_file", cert.toString()))))
        .containsExactly("broker.ca_file: only applies to an amqps:// broker.url");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("auth.public_key_file", dir.resolve("missing.pem").toString(), "auth.algorithm", "ES256"))))
        .containsExactly("auth.public_key_file: file " + dir.resolve("missing.pem") + " does not exist or cannot be read (flag --auth-public-key-file)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("broker.url", "http://rabbit"))))
        .containsExactly("broker.url: expected amqp://, amqps:// or in-process (flag --broker-url), got http://rabbit");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("trusted_proxies", "10.0.0.1,proxy.example.com"))))
        .containsExactly("trusted_proxies: 'proxy.example.com' is not an IP address (flag --trusted-proxies)");
  }

  @Test
  void broker_url_takes_the_nodes_of_a_cluster_as_a_list_or_comma_separated() throws Exception {
    Path file = file("broker:\n  url:\n    - amqp://app:hunter2@rabbit-1:5672/prod\n    - amqp://app:hunter2@rabbit-2:5672/prod\n");
    Config fromFile = ConfigLoader.load(file, Map.of(), Map.of());
    assertThat(fromFile.brokerUrls()).containsExactly("amqp://app:hunter2@rabbit-1:5672/prod", "amqp://app:hunter2@rabbit-2:5672/prod");
    assertThat(fromFile.describe()).contains("broker.url: [amqp://app:***@rabbit-1:5672/prod, amqp://app:***@rabbit-2:5672/prod]  # file " + file)
        .doesNotContain("hunter2");

    Config fromEnv = ConfigLoader.load(null, Map.of("RABBITMQ_URL", "amqp://u:p@rabbit-1, amqp://u:p@rabbit-2,amqp://u:p@rabbit-3"), Map.of());
    assertThat(fromEnv.brokerUrls()).containsExactly("amqp://u:p@rabbit-1", "amqp://u:p@rabbit-2", "amqp://u:p@rabbit-3");
    assertThat(ConfigLoader.load(file("broker:\n  url: amqp://u:p@rabbit\n"), Map.of(), Map.of()).brokerUrls()).containsExactly("amqp://u:p@rabbit");

    assertThat(problems(() -> ConfigLoader.load(null, Map.of("MYXI_BROKER_URL", "amqp://app:hunter2@rabbit-1/prod,amqp://app:hunter2@rabbit-2/staging"), Map.of())))
        .containsExactly("broker.url: RabbitMQ URIs of one broker must differ only in host and port: amqp://app:***@rabbit-2/staging has another "
            + "virtual host than amqp://app:***@rabbit-1/prod (env MYXI_BROKER_URL)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("broker.url", "in-process,amqp://rabbit"))))
        .containsExactly("broker.url: in-process goes alone, not in a list of RabbitMQ URIs (flag --broker-url)");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("broker.url", "amqp://rabbit-1,http://rabbit-2"))))
        .containsExactly("broker.url: expected amqp://, amqps:// or in-process (flag --broker-url), got http://rabbit-2");
  }

  @Test
  void describe_masks_secrets_and_names_sources() throws Exception {
    Path file = file("auth:\n  secret: %s\nadmin:\n  token: admin-token-0123456789\nauthorization:\n  url: https://app:8443/authorize?key=cb-pass#cb-pass\n".formatted(SECRET));
    Config config = ConfigLoader.load(file, Map.of("RABBITMQ_URL", "amqp://app:hunter2@rabbit:5672/prod"), Map.of("port", "0"));
    String described = config.describe();
    assertThat(described).doesNotContain(SECRET).doesNotContain("hunter2").doesNotContain("admin-token-0123456789").doesNotContain("cb-pass");
    assertThat(described).contains("auth.secret: '****'  # file " + file)
        .contains("broker.url: amqp://app:***@rabbit:5672/prod  # env RABBITMQ_URL")
        .contains("authorization.url: https://app:8443/authorize  # file " + file)
        .contains("port: 0  # flag --port")
        .contains("touch_interval: 1m  # default");
  }

  @Test
  void lists_come_from_yaml_lists_or_commas() throws Exception {
    Path file = file("allowed_origins:\n  - https://a.example\n  - https://b.example\ntrusted_proxies: 127.0.0.1, ::1\n");
    Config config = ConfigLoader.load(file, Map.of(), Map.of());
    assertThat(config.list(ConfigKeys.ALLOWED_ORIGINS)).containsExactly("https://a.example", "https://b.example");
    assertThat(config.list(ConfigKeys.TRUSTED_PROXIES)).containsExactly("127.0.0.1", "::1");
  }

  @Test
  void every_key_has_a_distinct_env_var_and_flag() {
    assertThat(ConfigKeys.ALL.stream().map(ConfigKey::env).distinct().count()).isEqualTo(ConfigKeys.ALL.size());
    assertThat(ConfigKeys.ALL.stream().map(ConfigKey::flag).distinct().count()).isEqualTo(ConfigKeys.ALL.size());
    assertThat(ConfigKeys.get(ConfigKeys.BROKER_HEARTBEAT).env()).isEqualTo("MYXI_BROKER_HEARTBEAT");
    assertThat(ConfigKeys.get(ConfigKeys.LIMITS_MAX_SUBSCRIPTIONS).flag()).isEqualTo("--limits-max-subscriptions-per-session");
  }

  @Test
  void broker_urls_with_unencoded_password_characters_are_refused_without_echoing_them() {
    for (String password : List.of("p@ss", "pa/ss", "pa#ss", "pa?ss", "a@b/c?d#e")) {
      String url = "amqp://app:" + password + "@rabbit.example.com:5672/prod";
      List<String> problems = problems(() -> ConfigLoader.load(null, Map.of("RABBITMQ_URL", url), Map.of()));
      assertThat(problems).as(url).hasSize(1);
      assertThat(problems.get(0)).as(url)
          .startsWith("broker.url: the host does not parse: percent-encode '@'")
          .endsWith("(env RABBITMQ_URL)")
          .doesNotContain(password);
    }
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("broker.url", "amqp://app:s3cret@rabbit/vhost?x=a@b"))).get(0))
        .contains("percent-encode").doesNotContain("s3cret");
  }

  @Test
  void http_rule_urls_refuse_user_info_and_never_print_query_secrets() throws Exception {
    Path file = file("exchanges:\n  d: {access: http, url: \"https://app:cb-pass@app.example.com/authorize\"}\n");
    assertThat(problems(() -> ConfigLoader.load(file, Map.of(), Map.of()))).containsExactly(
        "exchanges.d.url: user info (user:password@) is not allowed in the URL: send a credential with authorization.token (file " + file + ")");
    assertThat(problems(() -> ConfigLoader.load(null, Map.of(), Map.of("authorization.url", "https://u:cb-pass@app/x"))))
        .containsExactly("authorization.url: user info (user:password@) is not allowed in the URL: send a credential with authorization.token (flag --authorization-url)");
    Path withQuery = file("exchanges:\n  d: {access: http, url: \"https://app.example.com:8443/authorize?key=cb-pass\"}\n");
    assertThat(ConfigLoader.load(withQuery, Map.of(), Map.of()).describe())
        .contains("d: {access: http, url: https://app.example.com:8443/authorize}").doesNotContain("cb-pass");
  }

  @Test
  void redaction_masks_everything_up_to_the_last_at_sign() {
    assertThat(Config.Redaction.uri("amqp://app:p@ss/w#rd?x@rabbit:5672/prod")).isEqualTo("amqp://app:***@rabbit:5672/prod");
    assertThat(Config.Redaction.uri("amqp://a/b:secret@rabbit/")).isEqualTo("amqp://***@rabbit/");
    assertThat(Config.Redaction.uri("amqp://guest:guest@127.0.0.1:5672")).isEqualTo("amqp://guest:***@127.0.0.1:5672");
    assertThat(Config.Redaction.uri("amqp://rabbit:5672/prod")).isEqualTo("amqp://rabbit:5672/prod");
    assertThat(Config.Redaction.httpUrl("https://u:p@app.example.com:8443/a/b?token=s#f")).isEqualTo("https://app.example.com:8443/a/b");
  }

  @Test
  void warnings_name_what_a_public_facing_node_lacks_and_go_when_it_is_set() throws Exception {
    assertThat(ConfigChecks.warningsOf(ConfigLoader.load(null, Map.of(), Map.of("bind_address", "127.0.0.1")))).isEmpty();
    List<String> open = ConfigChecks.warningsOf(ConfigLoader.load(null, Map.of(), Map.of()));
    assertThat(open).anyMatch(warning -> warning.startsWith("limits.max_connections_per_address is 0 (no cap) on a public-facing node"))
        .anyMatch(warning -> warning.startsWith("authentication_timeout is 0"));
    Path profile = file("limits:\n  max_connections: 10000\n  max_connections_per_address: 50\nauthentication_timeout: 10s\n");
    List<String> set = ConfigChecks.warningsOf(ConfigLoader.load(profile, Map.of(), Map.of()));
    assertThat(set).noneMatch(warning -> warning.startsWith("limits.max_connections ") || warning.startsWith("authentication_timeout"));
  }

  @Test
  void a_secret_file_readable_by_group_or_others_is_warned_about_once_it_holds_a_secret() throws Exception {
    Path file = file("auth:\n  secret: %s\n".formatted(SECRET));
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    assertThat(ConfigChecks.warningsOf(ConfigLoader.load(file, Map.of(), Map.of("bind_address", "127.0.0.1"))))
        .containsExactly("config file " + file + " holds secrets (auth.secret) and can be read by its group: chmod 600 it, or move the secrets to env vars");
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    assertThat(ConfigChecks.warningsOf(ConfigLoader.load(file, Map.of(), Map.of("bind_address", "127.0.0.1")))).isEmpty();
    Path noSecret = file("broker:\n  url: amqp://rabbit:5672\n");
    Files.setPosixFilePermissions(noSecret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(ConfigChecks.warningsOf(ConfigLoader.load(noSecret, Map.of(), Map.of("bind_address", "127.0.0.1")))).isEmpty();
    Path brokerPassword = file("broker:\n  url: amqp://app:pw@rabbit:5672\n");
    Files.setPosixFilePermissions(brokerPassword, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(ConfigChecks.warningsOf(ConfigLoader.load(brokerPassword, Map.of(), Map.of("bind_address", "127.0.0.1")))).singleElement()
        .asString().contains("(broker.url)").contains("others");
  }
}
