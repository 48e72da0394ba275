package io.myxi.service;

import static io.myxi.service.ConfigKey.Type.BOOLEAN;
import static io.myxi.service.ConfigKey.Type.CHOICE;
import static io.myxi.service.ConfigKey.Type.DECIMAL;
import static io.myxi.service.ConfigKey.Type.DURATION;
import static io.myxi.service.ConfigKey.Type.EXCHANGES;
import static io.myxi.service.ConfigKey.Type.INT;
import static io.myxi.service.ConfigKey.Type.LIST;
import static io.myxi.service.ConfigKey.Type.PATH;
import static io.myxi.service.ConfigKey.Type.SIZE;
import static io.myxi.service.ConfigKey.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Every key of the runnable server's configuration. docs/configuration.md lists the same. */
public final class ConfigKeys {
  public static final String PORT = "port";
  public static final String BIND_ADDRESS = "bind_address";
  public static final String BROKER_URL = "broker.url";
  public static final String BROKER_CA_FILE = "broker.ca_file";
  public static final String BROKER_CLIENT_CERT_FILE = "broker.client_cert_file";
  public static final String BROKER_CLIENT_KEY_FILE = "broker.client_key_file";
  public static final String BROKER_CONNECTION_TIMEOUT = "broker.connection_timeout";
  public static final String BROKER_HEARTBEAT = "broker.heartbeat";
  public static final String BROKER_RECOVERY_DELAY = "broker.recovery_delay";
  public static final String BROKER_MAX_RECOVERY_DELAY = "broker.max_recovery_delay";
  public static final String BROKER_EXCHANGE_DURABLE = "broker.exchange_durable";
  public static final String BROKER_EXCHANGE_AUTO_DELETE = "broker.exchange_auto_delete";
  public static final String BROKER_PUBLISH_TIMEOUT = "broker.publish_timeout";
  public static final String BROKER_BIND_TIMEOUT = "broker.bind_timeout";
  public static final String BROKER_PACKED_PUBLISHING = "broker.packed_publishing";
  public static final String BROKER_ROUTING_BUCKETS = "broker.routing_buckets";
  public static final String EXCHANGE_PREFIX = "exchange_prefix";
  public static final String EXCHANGES_KEY = "exchanges";
  public static final String AUTH_ALGORITHM = "auth.algorithm";
  public static final String AUTH_SECRET = "auth.secret";
  public static final String AUTH_PUBLIC_KEY_FILE = "auth.public_key_file";
  public static final String AUTH_ISSUER = "auth.issuer";
  public static final String AUTH_AUDIENCE = "auth.audience";
  public static final String AUTH_LEEWAY = "auth.leeway";
  public static final String AUTH_GRANTS_CLAIM = "auth.grants_claim";
  public static final String AUTH_MAX_LIFETIME = "auth.max_lifetime";
  public static final String AUTHORIZATION_URL = "authorization.url";
  public static final String AUTHORIZATION_TIMEOUT = "authorization.timeout";
  public static final String AUTHORIZATION_CACHE_TTL = "authorization.cache_ttl";
  public static final String AUTHORIZATION_TOKEN = "authorization.token";
  /** The gem's name for the re-authorization interval ({@code MyxiServer.Builder.reauthorizeInterval}). */
  public static final String REAUTHORIZE_INTERVAL = "touch_interval";
  public static final String SHUTDOWN_WINDOW = "shutdown_window";
  public static final String CONNECTION_LOST_TIMEOUT = "connection_lost_timeout";
  public static final String AUTHENTICATION_TIMEOUT = "authentication_timeout";
  public static final String HANDSHAKE_TIMEOUT = "handshake_timeout";
  public static final String ALLOWED_ORIGINS = "allowed_origins";
  public static final String ALLOW_MISSING_ORIGIN = "allow_missing_origin";
  public static final String TRUSTED_PROXIES = "trusted_proxies";
  public static final String WORKER_THREADS = "worker_threads";
  public static final String LIMITS_MAX_MESSAGE_BYTES = "limits.max_message_bytes";
  public static final String LIMITS_MAX_HANDSHAKE_BYTES = "limits.max_handshake_bytes";
  public static final String LIMITS_ACCEPT_BACKLOG = "limits.accept_backlog";
  public static final String LIMITS_MAX_BUFFERED_BYTES = "limits.max_buffered_bytes";
  public static final String LIMITS_MAX_SUBSCRIPTIONS = "limits.max_subscriptions_per_session";
  public static final String LIMITS_MAX_CONNECTIONS = "limits.max_connections";
  public static final String LIMITS_ACTIONS_PER_SECOND = "limits.actions_per_second";
  public static final String LIMITS_ACTION_BURST = "limits.action_burst";
  public static final String LIMITS_MAX_CONNECTIONS_PER_ADDRESS = "limits.max_connections_per_address";
  public static final String LIMITS_MAX_BINDINGS = "limits.max_bindings";
  public static final String LIMITS_BINDS_PER_SECOND = "limits.binds_per_second";
  public static final String LIMITS_BIND_BURST = "limits.bind_burst";
  public static final String HISTORY_WINDOW = "history.window";
  public static final String TLS_CERT_FILE = "tls.cert_file";
  public static final String TLS_KEY_FILE = "tls.key_file";
  public static final String TLS_KEYSTORE_FILE = "tls.keystore_file";
  public static final String TLS_KEYSTORE_PASSWORD = "tls.keystore_password";
  public static final String ADMIN_ENABLED = "admin.enabled";
  public static final String ADMIN_PORT = "admin.port";
  public static final String ADMIN_BIND_ADDRESS = "admin.bind_address";
  public static final String ADMIN_TOKEN = "admin.token";
  public static final String ADMIN_REQUIRE_TOKEN = "admin.require_token";
  public static final String ADMIN_ALLOWED_HOSTS = "admin.allowed_hosts";
  public static final String ADMIN_REQUEST_TIMEOUT = "admin.request_timeout";
  public static final String ADMIN_MAX_CONNECTIONS = "admin.max_connections";
  public static final String ADMIN_MAX_CONNECTIONS_PER_ADDRESS = "admin.max_connections_per_address";
  public static final String LOG_LEVEL = "log_level";
  public static final String PIDFILE = "pidfile";

  /** The value of {@link #BROKER_URL} that selects the in-process broker (one node, no RabbitMQ). */
  public static final String IN_PROCESS = "in-process";

  public static final List<ConfigKey> ALL = List.of(
      ConfigKey.of(PORT, INT, "5005", "WebSocket port; 0 picks a free one").alsoEnv("PORT").range(0, 65535),
      ConfigKey.of(BIND_ADDRESS, STRING, "0.0.0.0", "address the WebSocket port listens on"),
      ConfigKey.of(BROKER_URL, LIST, "amqp://guest:guest@127.0.0.1:5672",
              "RabbitMQ URI (amqp:// or amqps://); for a cluster one per node, as a list or comma-separated; or in-process for a single node without RabbitMQ")
          .alsoEnv("RABBITMQ_URL").masked(),
      ConfigKey.of(BROKER_CA_FILE, PATH, null, "PEM file of the CA that signed RabbitMQ's certificate (amqps); default: the JVM's trust store"),
      ConfigKey.of(BROKER_CLIENT_CERT_FILE, PATH, null, "PEM client certificate for amqps with client authentication"),
      ConfigKey.of(BROKER_CLIENT_KEY_FILE, PATH, null, "PEM PKCS#8 private key of broker.client_cert_file"),
      ConfigKey.of(BROKER_CONNECTION_TIMEOUT, DURATION, "10s", "TCP connect and AMQP handshake timeout"),
      ConfigKey.of(BROKER_HEARTBEAT, DURATION, "10s", "AMQP heartbeat; a silent broker is noticed after about twice this"),
      ConfigKey.of(BROKER_RECOVERY_DELAY, DURATION, "500ms", "first reconnection delay; doubles up to broker.max_recovery_delay"),
      ConfigKey.of(BROKER_MAX_RECOVERY_DELAY, DURATION, "30s", "longest reconnection delay"),
      ConfigKey.of(BROKER_EXCHANGE_DURABLE, BOOLEAN, "false", "declare exchanges durable (every publisher must agree)"),
      ConfigKey.of(BROKER_EXCHANGE_AUTO_DELETE, BOOLEAN, "false", "declare exchanges auto-delete (every publisher must agree)"),
      ConfigKey.of(BROKER_PUBLISH_TIMEOUT, DURATION, "5s", "longest wait for RabbitMQ to confirm a published event"),
      ConfigKey.of(BROKER_BIND_TIMEOUT, DURATION, "10s", "longest wait for RabbitMQ to confirm a binding before Subscribe fails"),
      ConfigKey.of(BROKER_PACKED_PUBLISHING, DURATION, null,
              "pack live events published within this delay of each other into one AMQP message, 0..1s (0: only those that queue up); not set: off. Every node must be Myxi for Java 0.2 or later")
          .alsoEnv("MYXI_PACKED_PUBLISHING").range(0, 1000),
      ConfigKey.of(BROKER_ROUTING_BUCKETS, INT, "0",
              "route live events by this many hash buckets of their routing keys instead of by the keys, 1..65536 (implies packed publishing); 0: off. Every node and publisher must be Myxi for Java 0.2 or later with the same buckets")
          .alsoEnv("MYXI_ROUTING_BUCKETS").range(0, 65536),
      ConfigKey.of(EXCHANGE_PREFIX, STRING, "", "prefix of every exchange name on RabbitMQ (staging.), so environments can share a broker"),
      ConfigKey.of(EXCHANGES_KEY, EXCHANGES, null, "the exchanges and their access rules: public, authenticated, token or http"),
      ConfigKey.of(AUTH_ALGORITHM, CHOICE, "HS256", "signature algorithm of session tokens").choices("HS256", "RS256", "ES256"),
      ConfigKey.of(AUTH_SECRET, STRING, null, "HS256 shared secret, at least 32 bytes; enables the built-in Authenticate").masked(),
      ConfigKey.of(AUTH_PUBLIC_KEY_FILE, PATH, null, "PEM public key (RS256 or ES256); enables the built-in Authenticate"),
      ConfigKey.of(AUTH_ISSUER, STRING, null, "when set, tokens must carry this iss"),
      ConfigKey.of(AUTH_AUDIENCE, STRING, null, "when set, tokens must carry this aud"),
      ConfigKey.of(AUTH_LEEWAY, DURATION, "5s", "clock skew allowed on exp, nbf and iat"),
      ConfigKey.of(AUTH_GRANTS_CLAIM, STRING, "grants", "claim holding the exchange:pattern grants of the token rule"),
      ConfigKey.of(AUTH_MAX_LIFETIME, DURATION, "0s", "tokens living longer than this (exp - iat, or exp - now) are refused; 0 disables"),
      ConfigKey.of(AUTHORIZATION_URL, STRING, null, "URL the http rule POSTs to, for exchanges without their own url"),
      ConfigKey.of(AUTHORIZATION_TIMEOUT, DURATION, "2s", "http rule: no answer within this denies"),
      ConfigKey.of(AUTHORIZATION_CACHE_TTL, DURATION, "0s", "http rule: how long an answer is reused for the same user, exchange and key; 0 disables"),
      ConfigKey.of(AUTHORIZATION_TOKEN, STRING, null, "http rule: sent as Authorization: Bearer, so the application knows the node").masked(),
      ConfigKey.of(REAUTHORIZE_INTERVAL, DURATION, "60s", "how often every subscription is authorized again; 0 disables"),
      ConfigKey.of(SHUTDOWN_WINDOW, DURATION, "5s", "sessions are closed spread over this window on stop"),
      ConfigKey.of(CONNECTION_LOST_TIMEOUT, DURATION, "60s", "a client silent for this long is disconnected"),
      ConfigKey.of(AUTHENTICATION_TIMEOUT, DURATION, "0s", "sessions still unauthenticated after this are closed with 4003; 0 disables"),
      ConfigKey.of(HANDSHAKE_TIMEOUT, DURATION, "10s", "connections that have not completed the WebSocket handshake after this are dropped"),
      ConfigKey.of(ALLOWED_ORIGINS, LIST, "", "origins allowed to open WebSockets (https://app.example.com); empty allows every origin"),
      ConfigKey.of(ALLOW_MISSING_ORIGIN, BOOLEAN, "true", "accept handshakes without an Origin header (non-browser clients)"),
      ConfigKey.of(TRUSTED_PROXIES, LIST, "", "IP addresses of proxies whose X-Forwarded-For is believed"),
      ConfigKey.of(WORKER_THREADS, INT, "16", "threads running actions and authorizers (which may block)").range(1, 10_000),
      ConfigKey.of(LIMITS_MAX_MESSAGE_BYTES, INT, "65536", "largest incoming message; larger closes with 1009").range(256, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_HANDSHAKE_BYTES, INT, "32768", "largest WebSocket handshake request; larger is answered 431").range(1024, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_ACCEPT_BACKLOG, INT, "4096", "connections the kernel may hold waiting to be accepted (reconnect storms); capped by net.core.somaxconn").range(1, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_BUFFERED_BYTES, INT, "1048576", "outgoing bytes a session may have waiting; past it, close 4001").range(1024, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_SUBSCRIPTIONS, INT, "1000", "subscriptions one session may hold").range(1, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_CONNECTIONS, INT, "20000", "open connections the node accepts, more are closed with 4004; 0: no cap").range(0, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_CONNECTIONS_PER_ADDRESS, INT, "0", "open connections one client address (IPv6: /64) may hold, the forwarded one behind trusted proxies; more are closed with 4004; 0: no cap").range(0, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_MAX_BINDINGS, INT, "100000", "distinct (exchange, routing key) bindings the node holds; a Subscribe needing more gets TooManyBindings").range(1, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_ACTIONS_PER_SECOND, DECIMAL, "50", "per-session sustained action rate; 0 disables the limit").range(0, 1_000_000),
      ConfigKey.of(LIMITS_ACTION_BURST, INT, "200", "per-session action burst").range(1, Integer.MAX_VALUE),
      ConfigKey.of(LIMITS_BINDS_PER_SECOND, DECIMAL, "50", "per-session sustained rate of binds (keys new on the node); 0 disables the limit").range(0, 1_000_000),
      ConfigKey.of(LIMITS_BIND_BURST, INT, "200", "per-session bind burst").range(1, Integer.MAX_VALUE),
      ConfigKey.of(HISTORY_WINDOW, SIZE, "64MiB",
              "memory per exchange with history for its recent events, so reconnecting clients catch up without reading the stream; 0: every recovery reads the stream")
          .range(0, Long.MAX_VALUE),
      ConfigKey.of(TLS_CERT_FILE, PATH, null, "PEM certificate chain: serve wss:// (with tls.key_file)"),
      ConfigKey.of(TLS_KEY_FILE, PATH, null, "PEM PKCS#8 private key of tls.cert_file"),
      ConfigKey.of(TLS_KEYSTORE_FILE, PATH, null, "PKCS12 keystore: serve wss:// (instead of tls.cert_file)"),
      ConfigKey.of(TLS_KEYSTORE_PASSWORD, STRING, "", "password of tls.keystore_file").masked(),
      ConfigKey.of(ADMIN_ENABLED, BOOLEAN, "true", "run the admin listener (publish, status, metrics, health)"),
      ConfigKey.of(ADMIN_PORT, INT, "5006", "admin listener port; 0 picks a free one").range(0, 65535),
      ConfigKey.of(ADMIN_BIND_ADDRESS, STRING, "127.0.0.1", "admin listener address; beyond loopback admin.token is required"),
      ConfigKey.of(ADMIN_TOKEN, STRING, null, "bearer token the admin listener requires").masked(),
      ConfigKey.of(ADMIN_REQUIRE_TOKEN, BOOLEAN, "false", "require admin.token even on loopback"),
      ConfigKey.of(ADMIN_ALLOWED_HOSTS, LIST, "", "without admin.token: Host values accepted besides the listener's own and localhost forms (host or host:port)"),
      ConfigKey.of(ADMIN_REQUEST_TIMEOUT, DURATION, "5s", "admin requests not fully received within this are dropped"),
      ConfigKey.of(ADMIN_MAX_CONNECTIONS, INT, "64", "open admin connections; more are closed at once").range(1, 100_000),
      ConfigKey.of(ADMIN_MAX_CONNECTIONS_PER_ADDRESS, INT, "16", "open admin connections from one client address").range(1, 100_000),
      ConfigKey.of(LOG_LEVEL, CHOICE, "INFO", "level of the io.myxi loggers").choices("TRACE", "DEBUG", "INFO", "WARN", "ERROR"),
      ConfigKey.of(PIDFILE, PATH, null, "file the process id is written to while the node runs"));

  private static final Map<String, ConfigKey> BY_NAME = new LinkedHashMap<>();

  static {
    for (ConfigKey key : ALL) {
      BY_NAME.put(key.name(), key);
    }
  }

  /** The sections of the file: names with keys nested under them. */
  public static final Set<String> SECTIONS;

  static {
    Set<String> sections = new TreeSet<>();
    for (ConfigKey key : ALL) {
      int dot = key.name().indexOf('.');
      if (dot > 0) {
        sections.add(key.name().substring(0, dot));
      }
    }
    SECTIONS = Set.copyOf(sections);
  }

  private ConfigKeys() {}

  public static ConfigKey get(String name) {
    ConfigKey key = BY_NAME.get(name);
    if (key == null) {
      throw new IllegalArgumentException("no such key: " + name);
    }
    return key;
  }

  public static boolean exists(String name) {
    return BY_NAME.containsKey(name);
  }
}
