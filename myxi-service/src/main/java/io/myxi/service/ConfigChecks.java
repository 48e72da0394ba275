package io.myxi.service;

import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.service.Config.Source;
import io.myxi.service.ExchangeRule.Access;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The checks of keys that depend on each other, run once every key has been read and parsed on its
 * own ({@link ConfigLoader}): which keys go together, which exclude each other, which files must
 * exist. Each problem names the key and the reason; none echoes a secret.
 */
final class ConfigChecks {
  private final List<String> problems = new ArrayList<>();

  private ConfigChecks() {}

  /**
   * The name of the per-address connection cap of the WebSocket listener. Declared by the engine's
   * options (another change); until {@link ConfigKeys} has it, its warning is left out.
   */
  static final String LIMITS_MAX_CONNECTIONS_PER_ADDRESS = "limits.max_connections_per_address";

  /**
   * What works but should not go to production this way: a config file holding secrets that
   * others can read, a public-facing node without connection caps or an authentication timeout.
   * {@code check-config} prints these, {@code start} logs them at WARN; neither refuses.
   */
  static List<String> warningsOf(Config config) {
    List<String> warnings = new ArrayList<>();
    secretFileWarning(config, warnings);
    String bind = config.string(ConfigKeys.BIND_ADDRESS);
    boolean publicFacing;
    try {
      publicFacing = !InetAddress.getByName(bind).isLoopbackAddress();
    } catch (IOException e) {
      publicFacing = true;
    }
    if (publicFacing) {
      String where = " on a public-facing node (bind_address " + bind + "); see the production profile in docs/deployment.md";
      if (config.integer(ConfigKeys.LIMITS_MAX_CONNECTIONS) == 0) {
        warnings.add(ConfigKeys.LIMITS_MAX_CONNECTIONS + " is 0 (no cap)" + where);
      }
      if (ConfigKeys.exists(LIMITS_MAX_CONNECTIONS_PER_ADDRESS)) {
        Object perAddress = config.entry(LIMITS_MAX_CONNECTIONS_PER_ADDRESS).value();
        if (perAddress == null || (perAddress instanceof Integer cap && cap == 0)) {
          warnings.add(LIMITS_MAX_CONNECTIONS_PER_ADDRESS + " is 0 (no cap)" + where);
        }
      }
      if (config.duration(ConfigKeys.AUTHENTICATION_TIMEOUT).isZero()) {
        warnings.add(ConfigKeys.AUTHENTICATION_TIMEOUT + " is 0 (unauthenticated sessions stay open)" + where);
      }
    }
    return warnings;
  }

  private static void secretFileWarning(Config config, List<String> warnings) {
    Path file = config.file();
    if (file == null) {
      return;
    }
    List<String> secrets = new ArrayList<>();
    for (ConfigKey key : ConfigKeys.ALL) {
      Config.Entry entry = config.entry(key.name());
      boolean fromFile = entry.source() == Source.FILE;
      // broker.url is a list (a cluster's nodes): a secret if any of its URIs holds a password.
      List<?> values = entry.value() instanceof List<?> list ? list : entry.value() == null ? List.of() : List.of(entry.value());
      boolean secret = key.secret() && values.stream().anyMatch(value -> value instanceof String text && !text.isEmpty()
          && (!key.name().equals(ConfigKeys.BROKER_URL) || !RabbitMqBroker.redactUri(text).equals(text)));
      if (fromFile && secret) {
        secrets.add(key.name());
      }
    }
    if (secrets.isEmpty()) {
      return;
    }
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
        warnings.add("config file " + file + " holds secrets (" + String.join(", ", secrets) + ") and can be read by "
            + (permissions.contains(PosixFilePermission.OTHERS_READ) ? "others" : "its group") + ": chmod 600 it, or move the secrets to env vars");
      }
    } catch (UnsupportedOperationException | IOException e) {
      // Not a POSIX file system: nothing to say.
    }
  }

  /** Every problem found in {@code config}; empty when the keys fit together. */
  static List<String> problemsOf(Config config) {
    ConfigChecks checks = new ConfigChecks();
    checks.checkTogether(config);
    return checks.problems;
  }

  /** Each URI is amqp:// or amqps://, and together they name the nodes of one cluster (same credentials and vhost). */
  private void checkBrokerUrls(List<String> brokerUrls, String origin) {
    int before = problems.size();
    for (String brokerUrl : brokerUrls) {
      String uriProblem = RabbitMqBroker.uriProblem(brokerUrl);
      if (uriProblem != null) {
        problems.add(ConfigKeys.BROKER_URL + ": " + uriProblem + " (" + origin + ")");
        continue;
      }
      try {
        URI uri = URI.create(brokerUrl);
        if (!"amqp".equals(uri.getScheme()) && !"amqps".equals(uri.getScheme())) {
          problems.add(ConfigKeys.BROKER_URL + ": expected amqp://, amqps:// or in-process (" + origin + "), got " + Config.Redaction.uri(brokerUrl));
        }
      } catch (IllegalArgumentException e) {
        problems.add(ConfigKeys.BROKER_URL + ": not a URI (" + origin + ")");
      }
    }
    if (problems.size() == before) {
      try {
        RabbitMqBroker.builder().uris(brokerUrls); // Parses and compares them; connects to nothing.
      } catch (IllegalArgumentException e) {
        problems.add(ConfigKeys.BROKER_URL + ": " + e.getMessage() + " (" + origin + ")");
      }
    }
  }

  private void checkTogether(Config config) {
    List<String> brokerUrls = config.brokerUrls();
    String brokerOrigin = config.entry(ConfigKeys.BROKER_URL).origin();
    if (brokerUrls.isEmpty()) {
      problems.add(ConfigKeys.BROKER_URL + ": expected at least one RabbitMQ URI (" + brokerOrigin + ")");
    } else if (config.inProcessBroker()) {
      if (brokerUrls.size() > 1) {
        problems.add(ConfigKeys.BROKER_URL + ": in-process goes alone, not in a list of RabbitMQ URIs (" + brokerOrigin + ")");
      }
    } else {
      checkBrokerUrls(brokerUrls, brokerOrigin);
    }
    boolean amqps = !brokerUrls.isEmpty() && brokerUrls.get(0).startsWith("amqps:");
    for (String key : List.of(ConfigKeys.BROKER_CA_FILE, ConfigKeys.BROKER_CLIENT_CERT_FILE, ConfigKeys.BROKER_CLIENT_KEY_FILE)) {
      if (config.isSet(key) && !amqps) {
        problems.add(key + ": only applies to an amqps:// broker.url");
      }
    }
    if (config.isSet(ConfigKeys.BROKER_CLIENT_CERT_FILE) != config.isSet(ConfigKeys.BROKER_CLIENT_KEY_FILE)) {
      problems.add(ConfigKeys.BROKER_CLIENT_KEY_FILE + ": broker.client_cert_file and broker.client_key_file go together");
    }
    if (config.duration(ConfigKeys.BROKER_MAX_RECOVERY_DELAY).compareTo(config.duration(ConfigKeys.BROKER_RECOVERY_DELAY)) < 0) {
      problems.add(ConfigKeys.BROKER_MAX_RECOVERY_DELAY + ": must not be shorter than broker.recovery_delay");
    }
    for (String key : List.of(ConfigKeys.BROKER_CONNECTION_TIMEOUT, ConfigKeys.BROKER_HEARTBEAT, ConfigKeys.BROKER_RECOVERY_DELAY,
        ConfigKeys.BROKER_MAX_RECOVERY_DELAY, ConfigKeys.BROKER_PUBLISH_TIMEOUT, ConfigKeys.BROKER_BIND_TIMEOUT, ConfigKeys.CONNECTION_LOST_TIMEOUT,
        ConfigKeys.AUTHORIZATION_TIMEOUT)) {
      if (config.duration(key).isZero()) {
        problems.add(key + ": must be longer than 0 (" + config.entry(key).origin() + ")");
      }
    }
    if (config.string(ConfigKeys.EXCHANGE_PREFIX).getBytes(StandardCharsets.UTF_8).length > 100) {
      problems.add(ConfigKeys.EXCHANGE_PREFIX + ": at most 100 bytes");
    }

    checkAuth(config);
    checkExchanges(config);
    checkTls(config);
    checkAdmin(config);
    for (ConfigKey key : ConfigKeys.ALL) {
      if (key.type() == ConfigKey.Type.PATH && !key.name().equals(ConfigKeys.PIDFILE) && config.isSet(key.name())) {
        Path path = config.path(key.name());
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
          problems.add(key.name() + ": file " + path + " does not exist or cannot be read (" + config.entry(key.name()).origin() + ")");
        }
      }
    }
  }

  private void checkAuth(Config config) {
    String algorithm = config.string(ConfigKeys.AUTH_ALGORITHM);
    boolean secret = config.isSet(ConfigKeys.AUTH_SECRET);
    boolean publicKey = config.isSet(ConfigKeys.AUTH_PUBLIC_KEY_FILE);
    boolean algorithmChosen = config.entry(ConfigKeys.AUTH_ALGORITHM).source() != Source.DEFAULT;
    if (secret && publicKey) {
      problems.add(ConfigKeys.AUTH_SECRET + ": set auth.secret (HS256) or auth.public_key_file (RS256, ES256), not both");
      return;
    }
    if (algorithm.equals("HS256")) {
      if (publicKey) {
        problems.add(ConfigKeys.AUTH_ALGORITHM + ": auth.public_key_file needs RS256 or ES256, not HS256");
      } else if (secret && config.string(ConfigKeys.AUTH_SECRET).getBytes(StandardCharsets.UTF_8).length < 32) {
        problems.add(ConfigKeys.AUTH_SECRET + ": must be at least 32 bytes for HS256 (" + config.entry(ConfigKeys.AUTH_SECRET).origin() + ")");
      } else if (!secret && algorithmChosen) {
        problems.add(ConfigKeys.AUTH_SECRET + ": required for auth.algorithm HS256 (set it in the file or as MYXI_AUTH_SECRET)");
      }
    } else {
      if (secret) {
        problems.add(ConfigKeys.AUTH_ALGORITHM + ": auth.secret needs HS256, not " + algorithm);
      } else if (!publicKey) {
        problems.add(ConfigKeys.AUTH_PUBLIC_KEY_FILE + ": required for auth.algorithm " + algorithm + " (set it in the file or as MYXI_AUTH_PUBLIC_KEY_FILE)");
      }
    }
  }

  private void checkExchanges(Config config) {
    for (ExchangeRule rule : config.exchanges()) {
      if (rule.access() == Access.TOKEN && !config.tokensEnabled()) {
        problems.add(ConfigKeys.AUTH_SECRET + ": required by exchanges." + rule.name() + " (access token): set auth.secret (MYXI_AUTH_SECRET) or auth.public_key_file");
      }
      if (rule.access() == Access.HTTP && rule.url() == null) {
        if (!config.isSet(ConfigKeys.AUTHORIZATION_URL)) {
          problems.add("exchanges." + rule.name() + ".url: required for access http, or set authorization.url");
        }
      }
      String full = config.string(ConfigKeys.EXCHANGE_PREFIX) + rule.name();
      if (full.getBytes(StandardCharsets.UTF_8).length > Myxi.MAX_NAME_BYTES) {
        problems.add("exchanges." + rule.name() + ": longer than " + Myxi.MAX_NAME_BYTES + " bytes with exchange_prefix");
      }
    }
    String urlProblem = config.isSet(ConfigKeys.AUTHORIZATION_URL) ? ExchangeRulesParser.httpUrlProblem(config.string(ConfigKeys.AUTHORIZATION_URL)) : null;
    if (urlProblem != null) {
      problems.add(ConfigKeys.AUTHORIZATION_URL + ": " + urlProblem + " (" + config.entry(ConfigKeys.AUTHORIZATION_URL).origin() + ")");
    }
  }

  private void checkTls(Config config) {
    boolean pem = config.isSet(ConfigKeys.TLS_CERT_FILE) || config.isSet(ConfigKeys.TLS_KEY_FILE);
    boolean keystore = config.isSet(ConfigKeys.TLS_KEYSTORE_FILE);
    if (pem && keystore) {
      problems.add(ConfigKeys.TLS_KEYSTORE_FILE + ": set tls.cert_file and tls.key_file, or tls.keystore_file, not both");
    } else if (pem && !(config.isSet(ConfigKeys.TLS_CERT_FILE) && config.isSet(ConfigKeys.TLS_KEY_FILE))) {
      problems.add((config.isSet(ConfigKeys.TLS_CERT_FILE) ? ConfigKeys.TLS_KEY_FILE : ConfigKeys.TLS_CERT_FILE) + ": tls.cert_file and tls.key_file go together");
    }
  }

  private void checkAdmin(Config config) {
    if (!config.bool(ConfigKeys.ADMIN_ENABLED)) {
      return;
    }
    String bind = config.string(ConfigKeys.ADMIN_BIND_ADDRESS);
    boolean loopback;
    try {
      loopback = InetAddress.getByName(bind).isLoopbackAddress();
    } catch (IOException e) {
      problems.add(ConfigKeys.ADMIN_BIND_ADDRESS + ": cannot be resolved: " + bind);
      return;
    }
    boolean token = config.isSet(ConfigKeys.ADMIN_TOKEN) && !config.string(ConfigKeys.ADMIN_TOKEN).isEmpty();
    if (!token && !loopback) {
      problems.add(ConfigKeys.ADMIN_TOKEN + ": required when admin.bind_address (" + bind + ") is not a loopback address (set MYXI_ADMIN_TOKEN)");
    } else if (!token && config.bool(ConfigKeys.ADMIN_REQUIRE_TOKEN)) {
      problems.add(ConfigKeys.ADMIN_TOKEN + ": required because admin.require_token is true (set MYXI_ADMIN_TOKEN)");
    } else if (token && config.string(ConfigKeys.ADMIN_TOKEN).length() < 16) {
      problems.add(ConfigKeys.ADMIN_TOKEN + ": must be at least 16 characters");
    }
  }
}
