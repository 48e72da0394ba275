package io.myxi.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.MyxiSetup;
import io.myxi.Registrar;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.server.MyxiServer;
import io.myxi.service.ExchangeRule.Access;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node as the runnable server runs it: the broker, the {@link Myxi} registry built from the
 * configuration and the application's {@link MyxiSetup}s, the WebSocket server and the admin
 * listener. {@code start} and {@code stop} are each called once.
 */
public final class StandaloneNode {
  private static final Logger log = LoggerFactory.getLogger(StandaloneNode.class);

  private final Config config;
  private final List<MyxiSetup> setups;
  private final Metrics metrics = new Metrics();
  private Broker broker;
  private Myxi myxi;
  private TokenAuth tokenAuth;
  private HttpClient httpClient;
  private MyxiServer server;
  private AdminServer admin;
  private boolean pidfileWritten;

  public StandaloneNode(Config config, List<MyxiSetup> setups) {
    this.config = config;
    this.setups = List.copyOf(setups);
  }

  /** The application setups on the class path, in the order of their class names. */
  public static List<MyxiSetup> discoverSetups(ClassLoader loader) {
    List<MyxiSetup> found = new ArrayList<>();
    ServiceLoader.load(MyxiSetup.class, loader).forEach(found::add);
    found.sort(Comparator.comparing(setup -> setup.getClass().getName()));
    return found;
  }

  /**
   * Checks what only building can check (keys and certificates parse), without opening anything.
   * {@code check-config} runs it; {@code start} does the same while building.
   */
  public static void verify(Config config) throws ConfigException {
    List<String> problems = new ArrayList<>();
    try {
      TlsContexts.server(config);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (config.brokerUrls().get(0).startsWith("amqps:")) {
      try {
        TlsContexts.broker(config);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    if (config.tokensEnabled()) {
      try {
        TokenAuth.verifier(config);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * Builds and starts everything; returns once both listeners are bound. RabbitMQ may still be
   * connecting (the node is then not ready, and {@code /ready} says so).
   *
   * @throws ConfigException the configuration or a setup is not usable
   * @throws IOException a port could not be bound
   */
  public void start() throws ConfigException, IOException {
    verify(config);
    for (String warning : ConfigChecks.warningsOf(config)) {
      log.warn("Configuration: {}", warning);
    }
    ObjectMapper mapper = new ObjectMapper();
    broker = broker();
    try {
      myxi = buildMyxi(mapper);
      MyxiServer.Builder builder = MyxiServer.builder(myxi)
          .port(config.integer(ConfigKeys.PORT))
          .bindAddress(config.string(ConfigKeys.BIND_ADDRESS))
          .reauthorizeInterval(config.duration(ConfigKeys.REAUTHORIZE_INTERVAL))
          .listener(metrics.listener())
          .connectionLostTimeout(atLeastOneSecond(config.duration(ConfigKeys.CONNECTION_LOST_TIMEOUT)))
          .shutdownWindow(config.duration(ConfigKeys.SHUTDOWN_WINDOW))
          .bindTimeout(config.duration(ConfigKeys.BROKER_BIND_TIMEOUT))
          .maxMessageBytes(config.integer(ConfigKeys.LIMITS_MAX_MESSAGE_BYTES))
          .maxBufferedBytes(config.integer(ConfigKeys.LIMITS_MAX_BUFFERED_BYTES))
          .historyWindowBytes(config.size(ConfigKeys.HISTORY_WINDOW))
          .maxSubscriptionsPerSession(config.integer(ConfigKeys.LIMITS_MAX_SUBSCRIPTIONS))
          .maxConnections(config.integer(ConfigKeys.LIMITS_MAX_CONNECTIONS))
          .maxConnectionsPerAddress(config.integer(ConfigKeys.LIMITS_MAX_CONNECTIONS_PER_ADDRESS))
          .maxBindings(config.integer(ConfigKeys.LIMITS_MAX_BINDINGS))
          .bindRateLimit(config.decimal(ConfigKeys.LIMITS_BINDS_PER_SECOND), config.integer(ConfigKeys.LIMITS_BIND_BURST))
          .actionRateLimit(config.decimal(ConfigKeys.LIMITS_ACTIONS_PER_SECOND), config.integer(ConfigKeys.LIMITS_ACTION_BURST))
          .authenticationTimeout(config.duration(ConfigKeys.AUTHENTICATION_TIMEOUT))
          .handshakeTimeout(config.duration(ConfigKeys.HANDSHAKE_TIMEOUT))
          .maxHandshakeBytes(config.integer(ConfigKeys.LIMITS_MAX_HANDSHAKE_BYTES))
          .acceptBacklog(config.integer(ConfigKeys.LIMITS_ACCEPT_BACKLOG))
          .allowedOrigins(config.list(ConfigKeys.ALLOWED_ORIGINS).toArray(new String[0]))
          .allowMissingOrigin(config.bool(ConfigKeys.ALLOW_MISSING_ORIGIN))
          .trustedProxies(config.list(ConfigKeys.TRUSTED_PROXIES).toArray(new String[0]))
          .workerThreads(config.integer(ConfigKeys.WORKER_THREADS));
      SSLContext tls = TlsContexts.server(config);
      if (tls != null) {
        builder.sslContext(tls);
      }
      server = builder.build();
      server.start();
      metrics.monitor(server);
      if (config.bool(ConfigKeys.ADMIN_ENABLED)) {
        admin = new AdminServer(config, server, metrics);
        admin.start();
      }
      writePidfile();
    } catch (ConfigException | IOException | RuntimeException e) {
      stop();
      throw e;
    }
  }

  private static Duration atLeastOneSecond(Duration duration) {
    return duration.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : duration;
  }

  private Broker broker() throws ConfigException {
    if (config.inProcessBroker()) {
      log.warn("broker.url is in-process: events reach only this node, and only through POST /publish");
      return new InProcessBroker();
    }
    List<String> urls = config.brokerUrls();
    RabbitMqBroker.Builder builder = RabbitMqBroker.builder();
    try {
      builder.uris(urls); // One URI, or one per node of a cluster: checked to share credentials and vhost.
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ConfigKeys.BROKER_URL + ": " + e.getMessage());
    }
    if (urls.get(0).startsWith("amqps:")) {
      // The URIs give the addresses; this factory the TLS settings, with the first URI's credentials.
      ConnectionFactory factory = new ConnectionFactory();
      try {
        factory.setUri(urls.get(0));
      } catch (Exception e) {
        throw new ConfigException(ConfigKeys.BROKER_URL + ": invalid RabbitMQ URI (" + Config.Redaction.uri(urls.get(0)) + ")");
      }
      factory.useSslProtocol(TlsContexts.broker(config));
      factory.enableHostnameVerification();
      builder.connectionFactory(factory);
    }
    builder
        .connectionTimeout(config.duration(ConfigKeys.BROKER_CONNECTION_TIMEOUT))
        .heartbeat(config.duration(ConfigKeys.BROKER_HEARTBEAT))
        .recoveryDelay(config.duration(ConfigKeys.BROKER_RECOVERY_DELAY))
        .maxRecoveryDelay(config.duration(ConfigKeys.BROKER_MAX_RECOVERY_DELAY))
        .exchangeDurable(config.bool(ConfigKeys.BROKER_EXCHANGE_DURABLE))
        .exchangeAutoDelete(config.bool(ConfigKeys.BROKER_EXCHANGE_AUTO_DELETE))
        .connectionName("myxi-server");
    RabbitMqBroker rabbit = packing(config, builder).build();
    rabbit.start();
    return rabbit;
  }

  /**
   * {@code broker.packed_publishing} and {@code broker.routing_buckets} on {@code builder}: the node
   * and {@code publish} must agree on them (an event published by key reaches no node bound by
   * buckets). Unset and 0 leave the builder's defaults: one message per event, a binding per key.
   */
  static RabbitMqBroker.Builder packing(Config config, RabbitMqBroker.Builder builder) {
    if (config.isSet(ConfigKeys.BROKER_PACKED_PUBLISHING)) {
      builder.packedPublishing(config.duration(ConfigKeys.BROKER_PACKED_PUBLISHING));
    }
    int buckets = config.integer(ConfigKeys.BROKER_ROUTING_BUCKETS);
    if (buckets > 0) {
      builder.routingBuckets(buckets);
    }
    return builder;
  }

  /**
   * The registry: the configuration's exchanges and Authenticate, then every setup's. Built once,
   * as the setups leave it: actions and authorizers are timed from the node's {@link
   * io.myxi.server.NodeListener} reports ({@link Metrics}).
   */
  private Myxi buildMyxi(ObjectMapper mapper) throws ConfigException {
    Myxi.Builder builder = Myxi.builder()
        .broker(broker)
        .objectMapper(mapper)
        .exchangePrefix(config.string(ConfigKeys.EXCHANGE_PREFIX))
        .publishTimeout(config.duration(ConfigKeys.BROKER_PUBLISH_TIMEOUT));
    if (config.tokensEnabled()) {
      tokenAuth = new TokenAuth(config, mapper);
      builder.action(TokenAuth.ACTION, tokenAuth::authenticate);
      builder.action(TokenAuth.LOGOUT_ACTION, tokenAuth::logout);
    }
    List<ExchangeRule> rules = config.exchanges();
    for (ExchangeRule rule : rules) {
      builder.exchange(rule.name(), authorizer(rule, mapper), rule.history());
    }
    for (MyxiSetup setup : setups) {
      String name = setup.getClass().getName();
      try {
        setup.configure(Registrar.viewOf(builder));
      } catch (Exception | LinkageError e) {
        throw new ConfigException("setup " + name + " failed: " + e);
      }
      log.info("Application setup {} applied", name);
    }
    Myxi built;
    try {
      built = builder.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("the registry cannot be built: " + e.getMessage());
    }
    Map<String, String> ruleNames = new LinkedHashMap<>();
    rules.forEach(rule -> ruleNames.put(rule.name(), rule.access().word()));
    metrics.useRules(ruleNames);
    if (built.exchanges().isEmpty()) {
      log.warn("No exchanges configured: clients cannot subscribe to anything (set exchanges in the config file)");
    }
    boolean authenticates = built.action(TokenAuth.ACTION).isPresent();
    for (ExchangeRule rule : rules) {
      if (rule.access() == Access.AUTHENTICATED && !authenticates) {
        log.warn("Exchange {} needs authenticated sessions, but there is no Authenticate action: set auth.secret or auth.public_key_file", rule.name());
      }
    }
    return built;
  }

  private Authorizer authorizer(ExchangeRule rule, ObjectMapper mapper) {
    return switch (rule.access()) {
      case PUBLIC -> Authorizer.allowAll();
      case AUTHENTICATED -> Authorizer.authenticated();
      case TOKEN -> tokenAuth.tokenRule(rule.name());
      case HTTP -> new HttpRule(rule.name(),
          URI.create(rule.url() != null ? rule.url() : config.string(ConfigKeys.AUTHORIZATION_URL)),
          rule.timeout() != null ? rule.timeout() : config.duration(ConfigKeys.AUTHORIZATION_TIMEOUT),
          rule.cacheTtl() != null ? rule.cacheTtl() : config.duration(ConfigKeys.AUTHORIZATION_CACHE_TTL),
          config.string(ConfigKeys.AUTHORIZATION_TOKEN),
          httpClient(),
          mapper);
    };
  }

  private HttpClient httpClient() {
    if (httpClient == null) {
      httpClient = HttpClient.newBuilder()
          .connectTimeout(config.duration(ConfigKeys.AUTHORIZATION_TIMEOUT))
          .executor(Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "myxi-http-rule");
            thread.setDaemon(true);
            return thread;
          }))
          .build();
    }
    return httpClient;
  }

  private void writePidfile() throws IOException {
    if (config.isSet(ConfigKeys.PIDFILE)) {
      Path pidfile = config.path(ConfigKeys.PIDFILE);
      Files.writeString(pidfile, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
      pidfileWritten = true;
    }
  }

  public int port() {
    return server.port();
  }

  /** The admin listener's port, or -1 when it is disabled. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The built-in Authenticate, or null when no token verification is configured. */
  TokenAuth tokenAuth() {
    return tokenAuth;
  }

  /** Admin requests running on the admin listener's publish/status pool now. */
  int adminPooledInFlight() {
    return admin == null ? 0 : admin.pooledInFlight();
  }

  public MyxiServer server() {
    return server;
  }

  /**
   * Drains: the WebSocket sessions are closed over the shutdown window while the admin listener
   * still answers ({@code /ready} says 503), then everything is closed. Safe to call twice.
   */
  public synchronized void stop() {
    if (server != null) {
      server.stop();
    }
    if (admin != null) {
      admin.stop();
      admin = null;
    }
    if (myxi != null) {
      myxi.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (tokenAuth != null) {
      tokenAuth.close();
    }
    if (pidfileWritten) {
      try {
        Files.deleteIfExists(config.path(ConfigKeys.PIDFILE));
      } catch (IOException e) {
        log.warn("Could not delete the pidfile {}: {}", config.path(ConfigKeys.PIDFILE), e.getMessage());
      }
      pidfileWritten = false;
    }
  }
}
