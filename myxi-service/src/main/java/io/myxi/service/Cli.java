package io.myxi.service;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.broker.BrokerException;
import io.myxi.broker.RabbitMqBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The command line of myxi-server.jar. Exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
@Command(name = "myxi-server", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
    description = "Authenticated real-time WebSocket exchanges over RabbitMQ, wire-compatible with the myxi gem.",
    subcommands = {Cli.Start.class, Cli.CheckConfig.class, Cli.Token.class, Cli.Publish.class, Cli.Status.class, CommandLine.HelpCommand.class})
public final class Cli implements Callable<Integer> {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int BAD_CONFIGURATION = 2;
  static final String DEFAULT_ADMIN_URL = "http://127.0.0.1:5006";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Spec
  CommandSpec spec;

  /** Runs one command line and returns the exit code. */
  public static int run(String... args) {
    return run(System.getenv(), args);
  }

  static int run(Map<String, String> environment, String... args) {
    return run(environment, null, null, args);
  }

  /** With the given output streams (tests); null keeps System.out and System.err. */
  static int run(Map<String, String> environment, PrintWriter out, PrintWriter err, String... args) {
    Logging.configureDefaults();
    CommandLine commandLine = new CommandLine(new Cli());
    if (out != null) {
      commandLine.setOut(out);
    }
    if (err != null) {
      commandLine.setErr(err);
    }
    commandLine.getSubcommands().values().forEach(sub -> {
      if (sub.getCommand() instanceof ConfigOptions options) {
        options.environment = environment;
        addKeyOptions(sub.getCommandSpec());
      } else if (sub.getCommand() instanceof UsesEnvironment uses) {
        uses.environment(environment);
      }
    });
    commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("myxi-server: " + e.getMessage());
      return FAILED;
    });
    return commandLine.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return BAD_CONFIGURATION;
  }

  /** One flag per configuration key, named after it: {@code broker.heartbeat} is {@code --broker-heartbeat}. */
  private static void addKeyOptions(CommandSpec spec) {
    for (ConfigKey key : ConfigKeys.ALL) {
      String defaultText = key.defaultValue() == null ? "" : key.defaultValue().isEmpty() ? " (default: none)" : " (default: " + key.defaultValue() + ")";
      spec.addOption(OptionSpec.builder(key.flag())
          .paramLabel(key.type() == ConfigKey.Type.EXCHANGES ? "NAME=RULE,..." : key.type().name())
          .type(String.class)
          .description(key.description() + defaultText + "; env " + String.join(", ", key.envNames()))
          .build());
    }
  }

  interface UsesEnvironment {
    void environment(Map<String, String> environment);
  }

  /** The commands that read the configuration: a file, the environment and one flag per key. */
  abstract static class ConfigOptions {
    Map<String, String> environment = System.getenv();

    @Spec
    CommandSpec spec;

    Config load(Path file) throws ConfigException {
      Map<String, String> flags = new LinkedHashMap<>();
      for (ConfigKey key : ConfigKeys.ALL) {
        OptionSpec option = spec.findOption(key.flag());
        if (option != null && option.getValue() != null) {
          flags.put(key.name(), option.getValue());
        }
      }
      Path effective = file;
      if (effective == null && environment.get(ConfigLoader.CONFIG_ENV) != null && !environment.get(ConfigLoader.CONFIG_ENV).isBlank()) {
        effective = Path.of(environment.get(ConfigLoader.CONFIG_ENV));
      }
      return ConfigLoader.load(effective, environment, flags);
    }

    int invalid(ConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("myxi-server: invalid configuration:");
      for (String problem : e.problems()) {
        err.println("  - " + problem);
      }
      err.flush();
      return BAD_CONFIGURATION;
    }
  }

  // ---------------------------------------------------------------- start

  @Command(name = "start", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
      description = {"Runs a node in the foreground until SIGTERM or SIGINT, then drains and exits 0.",
          "Application setups (io.myxi.MyxiSetup) on the class path are applied. Every key is also an env var and a flag;",
          "a flag beats the env, which beats the file, which beats the default."})
  static final class Start extends ConfigOptions implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Start.class);

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (env MYXI_CONFIG)")
    Path config;

    @Override
    public Integer call() throws Exception {
      Config effective;
      try {
        effective = load(config);
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
        return FAILED;
      }
      log.info("Ready for connections on {}://{}:{}/{}", effective.isSet(ConfigKeys.TLS_CERT_FILE) || effective.isSet(ConfigKeys.TLS_KEYSTORE_FILE) ? "wss" : "ws",
          effective.string(ConfigKeys.BIND_ADDRESS), node.port(), node.adminPort() < 0 ? "" : "; admin on http://" + effective.string(ConfigKeys.ADMIN_BIND_ADDRESS) + ":" + node.adminPort() + "/");
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
  }

  // ---------------------------------------------------------------- check-config

  @Command(name = "check-config", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
      description = {"Validates a configuration and prints the effective one, secrets masked.",
          "Reads the file, the env and the flags as start would; prints each value with its source.",
          "Exits 2 naming every problem."})
  static final class CheckConfig extends ConfigOptions implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "YAML configuration file (default: env MYXI_CONFIG, else none)")
    Path file;

    @Override
    public Integer call() {
      Config effective;
      try {
        effective = load(file);
        StandaloneNode.verify(effective);
      } catch (ConfigException e) {
        return invalid(e);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(effective.describe());
      out.flush();
      spec.commandLine().getErr().println("myxi-server: configuration OK");
      return OK;
    }
  }

  // ---------------------------------------------------------------- token

  @Command(name = "token", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
      description = {"Mints a signed session token for a user and grants, for development and tests.",
          "Applications mint their own the same way: a JWT with sub, exp and grants (docs/configuration.md)."})
  static final class Token implements Callable<Integer>, UsesEnvironment {
    @Spec
    CommandSpec spec;
    Map<String, String> environment = System.getenv();

    @Option(names = {"-u", "--user"}, required = true, description = "the user: the token's sub")
    String user;

    @Option(names = {"-g", "--grant"}, paramLabel = "EXCHANGE:PATTERN", description = "a grant such as widgets:* or users:alice (repeatable)")
    List<String> grants = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h", description = "lifetime (default: ${DEFAULT-VALUE})")
    String ttl;

    @Option(names = "--claim", paramLabel = "NAME=VALUE", description = "an extra claim; VALUE is JSON when it parses, else a string (repeatable)")
    Map<String, String> claims = new LinkedHashMap<>();

    @Option(names = "--algorithm", paramLabel = "ALG", description = "HS256 (default), RS256 or ES256")
    String algorithm;

    @Option(names = "--secret", description = "HS256 secret (default: auth.secret of --config, or env MYXI_AUTH_SECRET)")
    String secret;

    @Option(names = "--private-key", paramLabel = "FILE", description = "PEM PKCS#8 private key for RS256/ES256")
    Path privateKey;

    @Option(names = "--issuer", description = "iss (default: auth.issuer of --config)")
    String issuer;

    @Option(names = "--audience", description = "aud (default: auth.audience of --config)")
    String audience;

    @Option(names = "--config", paramLabel = "FILE", description = "read auth.* from this configuration file")
    Path config;

    @Override
    public void environment(Map<String, String> environment) {
      this.environment = environment;
    }

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      String effectiveAlgorithm = algorithm;
      String effectiveSecret = secret;
      String effectiveIssuer = issuer;
      String effectiveAudience = audience;
      if (config != null) {
        Config loaded;
        try {
          loaded = ConfigLoader.load(config, environment, Map.of());
        } catch (ConfigException e) {
          err.println("myxi-server: invalid configuration:");
          e.problems().forEach(problem -> err.println("  - " + problem));
          return BAD_CONFIGURATION;
        }
        effectiveAlgorithm = effectiveAlgorithm != null ? effectiveAlgorithm : loaded.string(ConfigKeys.AUTH_ALGORITHM);
        effectiveSecret = effectiveSecret != null ? effectiveSecret : loaded.string(ConfigKeys.AUTH_SECRET);
        effectiveIssuer = effectiveIssuer != null ? effectiveIssuer : loaded.string(ConfigKeys.AUTH_ISSUER);
        effectiveAudience = effectiveAudience != null ? effectiveAudience : loaded.string(ConfigKeys.AUTH_AUDIENCE);
      }
      if (effectiveSecret == null) {
        effectiveSecret = environment.get(ConfigKeys.get(ConfigKeys.AUTH_SECRET).env());
      }
      effectiveAlgorithm = effectiveAlgorithm == null ? "HS256" : effectiveAlgorithm.toUpperCase(java.util.Locale.ROOT);
      if (!List.of("HS256", "RS256", "ES256").contains(effectiveAlgorithm)) {
        err.println("myxi-server: --algorithm: expected HS256, RS256 or ES256, got " + algorithm);
        return BAD_CONFIGURATION;
      }
      Duration lifetime = Durations.parse(ttl);
      if (lifetime == null) {
        err.println("myxi-server: --ttl: expected a duration such as 30s, 15m or 1h, got '" + ttl + "'");
        return BAD_CONFIGURATION;
      }
      for (String grant : grants) {
        if (grant.indexOf(':') <= 0) {
          err.println("myxi-server: --grant: expected EXCHANGE:PATTERN such as widgets:*, got '" + grant + "'");
          return BAD_CONFIGURATION;
        }
      }
      Algorithm signer;
      try {
        signer = TokenAuth.signingAlgorithm(effectiveAlgorithm, effectiveSecret, privateKey);
      } catch (ConfigException e) {
        err.println("myxi-server: " + e.getMessage());
        return BAD_CONFIGURATION;
      }
      Instant now = Instant.now();
      JWTCreator.Builder jwt = JWT.create().withSubject(user).withIssuedAt(now).withExpiresAt(now.plus(lifetime)).withClaim("grants", grants);
      if (effectiveIssuer != null) {
        jwt.withIssuer(effectiveIssuer);
      }
      if (effectiveAudience != null) {
        jwt.withAudience(effectiveAudience);
      }
      for (Map.Entry<String, String> claim : claims.entrySet()) {
        Object value;
        try {
          value = MAPPER.readValue(claim.getValue(), Object.class);
        } catch (IOException e) {
          value = claim.getValue();
        }
        if (value instanceof Map<?, ?> map) {
          @SuppressWarnings("unchecked")
          Map<String, ?> object = (Map<String, ?>) map;
          jwt.withClaim(claim.getKey(), object);
        } else if (value instanceof List<?> list) {
          jwt.withClaim(claim.getKey(), list);
        } else if (value instanceof Integer number) {
          jwt.withClaim(claim.getKey(), number);
        } else if (value instanceof Long number) {
          jwt.withClaim(claim.getKey(), number);
        } else if (value instanceof Double number) {
          jwt.withClaim(claim.getKey(), number);
        } else if (value instanceof Boolean bool) {
          jwt.withClaim(claim.getKey(), bool);
        } else {
          jwt.withClaim(claim.getKey(), String.valueOf(value));
        }
      }
      spec.commandLine().getOut().println(jwt.sign(signer));
      spec.commandLine().getOut().flush();
      return OK;
    }
  }

  // ---------------------------------------------------------------- publish

  @Command(name = "publish", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
      description = {"Pushes one event to the sessions subscribed to ROUTING_KEY of EXCHANGE.",
          "Waits for RabbitMQ's confirm.",
          "Through a node's admin API with --admin-url (or env MYXI_ADMIN_URL), else straight to RabbitMQ."})
  static final class Publish extends ConfigOptions implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "EXCHANGE")
    String exchange;

    @Parameters(index = "1", paramLabel = "ROUTING_KEY")
    String routingKey;

    @Parameters(index = "2", paramLabel = "EVENT")
    String event;

    @Parameters(index = "3", arity = "0..1", paramLabel = "PAYLOAD_JSON", description = "the payload (default: null)")
    String payload;

    @Option(names = "--admin-url", paramLabel = "URL", description = "publish through this node's admin API, such as " + DEFAULT_ADMIN_URL)
    String adminUrl;

    @Option(names = "--config", paramLabel = "FILE", description = "for RabbitMQ: take broker.* and exchange_prefix from this file")
    Path config;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      JsonNode payloadNode;
      try {
        payloadNode = payload == null ? MAPPER.nullNode() : MAPPER.readTree(payload);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        err.println("myxi-server: PAYLOAD_JSON is not JSON: " + e.getOriginalMessage());
        return BAD_CONFIGURATION;
      }
      String admin = adminUrl != null ? adminUrl : environment.get("MYXI_ADMIN_URL");
      if (admin != null && !admin.isBlank()) {
        return throughAdmin(admin, payloadNode);
      }
      Config effective;
      try {
        effective = load(config);
      } catch (ConfigException e) {
        return invalid(e);
      }
      return throughRabbitMq(effective, payloadNode);
    }

    private int throughAdmin(String admin, JsonNode payloadNode) throws InterruptedException {
      ObjectNode body = MAPPER.createObjectNode().put("exchange", exchange).put("routing_key", routingKey).put("event", event);
      body.set("payload", payloadNode);
      String token = adminToken(spec, environment);
      HttpResponse<String> response;
      try {
        response = AdminClient.send(admin, "/publish", "POST", body.toString(), token);
      } catch (IOException | IllegalArgumentException e) {
        spec.commandLine().getErr().println("myxi-server: cannot reach the admin API at " + admin + ": " + AdminClient.describe(e));
        return FAILED;
      }
      if (response.statusCode() == 202) {
        spec.commandLine().getOut().println("published (confirmed by RabbitMQ)");
        return OK;
      }
      spec.commandLine().getErr().println("myxi-server: HTTP " + response.statusCode() + " " + response.body());
      return response.statusCode() >= 400 && response.statusCode() < 500 ? BAD_CONFIGURATION : FAILED;
    }

    private int throughRabbitMq(Config effective, JsonNode payloadNode) throws IOException {
      if (effective.inProcessBroker()) {
        spec.commandLine().getErr().println("myxi-server: broker.url is in-process: publish through a node with --admin-url");
        return BAD_CONFIGURATION;
      }
      ObjectNode body = MAPPER.createObjectNode().put("event", event);
      body.set("payload", payloadNode);
      RabbitMqBroker broker;
      try {
        broker = RabbitMqBroker.builder()
            .uri(effective.string(ConfigKeys.BROKER_URL))
            .connectionTimeout(effective.duration(ConfigKeys.BROKER_CONNECTION_TIMEOUT))
            .exchangeDurable(effective.bool(ConfigKeys.BROKER_EXCHANGE_DURABLE))
            .exchangeAutoDelete(effective.bool(ConfigKeys.BROKER_EXCHANGE_AUTO_DELETE))
            .connectionName("myxi-server publish")
            .build();
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("myxi-server: broker.url: " + e.getMessage());
        return BAD_CONFIGURATION;
      }
      try {
        String brokerExchange = effective.string(ConfigKeys.EXCHANGE_PREFIX) + exchange;
        io.myxi.Retention history = effective.exchanges().stream()
            .filter(rule -> rule.name().equals(exchange) && rule.history() != null)
            .map(ExchangeRule::history).findFirst().orElse(null);
        if (history != null) {
          // As Myxi.pushEvent does: into the exchange's history stream, which the nodes read.
          broker.publishToHistory(io.myxi.ExchangeDefinition.HISTORY_STREAM_PREFIX + brokerExchange, history, routingKey,
              MAPPER.writeValueAsBytes(body), effective.duration(ConfigKeys.BROKER_PUBLISH_TIMEOUT));
        } else {
          broker.publish(brokerExchange, routingKey, MAPPER.writeValueAsBytes(body), effective.duration(ConfigKeys.BROKER_PUBLISH_TIMEOUT));
        }
        spec.commandLine().getOut().println("published (confirmed by RabbitMQ)");
        return OK;
      } catch (BrokerException e) {
        spec.commandLine().getErr().println("myxi-server: not published: " + e.getMessage());
        return FAILED;
      } finally {
        broker.close();
      }
    }
  }

  static String adminToken(CommandSpec spec, Map<String, String> environment) {
    OptionSpec option = spec.findOption("--admin-token");
    String token = option == null ? null : option.getValue();
    return token != null ? token : environment.get(ConfigKeys.get(ConfigKeys.ADMIN_TOKEN).env());
  }

  // ---------------------------------------------------------------- status

  @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
      description = {"Prints a running node's status as JSON (GET /status of its admin API).", "Exits 1 when it cannot be reached."})
  static final class Status implements Callable<Integer>, UsesEnvironment {
    @Spec
    CommandSpec spec;
    Map<String, String> environment = System.getenv();

    @Option(names = "--admin-url", paramLabel = "URL", description = "the node's admin API (default: env MYXI_ADMIN_URL, else " + DEFAULT_ADMIN_URL + ")")
    String adminUrl;

    @Option(names = "--admin-token", paramLabel = "TOKEN", description = "bearer token (default: env MYXI_ADMIN_TOKEN)")
    String adminToken;

    @Override
    public void environment(Map<String, String> environment) {
      this.environment = environment;
    }

    @Override
    public Integer call() throws Exception {
      String admin = adminUrl != null ? adminUrl : environment.getOrDefault("MYXI_ADMIN_URL", DEFAULT_ADMIN_URL);
      HttpResponse<String> response;
      try {
        response = AdminClient.send(admin, "/status", "GET", null, adminToken(spec, environment));
      } catch (IOException | IllegalArgumentException e) {
        spec.commandLine().getErr().println("myxi-server: cannot reach the admin API at " + admin + ": " + AdminClient.describe(e));
        return FAILED;
      }
      if (response.statusCode() != 200) {
        spec.commandLine().getErr().println("myxi-server: HTTP " + response.statusCode() + " " + response.body());
        return FAILED;
      }
      spec.commandLine().getOut().println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(MAPPER.readTree(response.body())));
      return OK;
    }
  }

  /** The few HTTP calls the CLI makes to a node's admin API. */
  static final class AdminClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private AdminClient() {}

    static HttpResponse<String> send(String base, String path, String method, String body, String token) throws IOException, InterruptedException {
      String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(trimmed + path)).timeout(Duration.ofSeconds(30));
      if (body != null) {
        request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      } else {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      }
      if (token != null && !token.isBlank()) {
        request.header("Authorization", "Bearer " + token);
      }
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static String describe(Exception e) {
      if (e instanceof ConnectException) {
        return "connection refused (is the node running, with admin.enabled?)";
      }
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  /** {@code --version}: the project version from the build. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"myxi-server " + Version.get() + " (Java " + Runtime.version() + ")"};
    }
  }
}
