package io.myxi.service;

import io.myxi.broker.RabbitMqBroker;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The effective, validated configuration: every key's value and where it came from. */
public final class Config {
  /** Where a value came from, strongest first. */
  public enum Source {
    FLAG, ENV, FILE, DEFAULT
  }

  /** One key's value; {@code value} is null when the key is not set. */
  public record Entry(Object value, Source source, String origin) {}

  private final Map<String, Entry> entries;
  private final Path file;

  Config(Map<String, Entry> entries) {
    this(entries, null);
  }

  Config(Map<String, Entry> entries, Path file) {
    this.entries = Map.copyOf(entries);
    this.file = file;
  }

  /** The configuration file read, or null for none. */
  public Path file() {
    return file;
  }

  public Entry entry(String key) {
    Entry entry = entries.get(ConfigKeys.get(key).name());
    return entry == null ? new Entry(null, Source.DEFAULT, "default") : entry;
  }

  public boolean isSet(String key) {
    return entry(key).value() != null;
  }

  public String string(String key) {
    return (String) entry(key).value();
  }

  public int integer(String key) {
    return (Integer) entry(key).value();
  }

  public double decimal(String key) {
    return (Double) entry(key).value();
  }

  public boolean bool(String key) {
    return (Boolean) entry(key).value();
  }

  public Duration duration(String key) {
    return (Duration) entry(key).value();
  }

  /** A size in bytes. */
  public long size(String key) {
    return (Long) entry(key).value();
  }

  public Path path(String key) {
    return (Path) entry(key).value();
  }

  @SuppressWarnings("unchecked")
  public List<String> list(String key) {
    Object value = entry(key).value();
    return value == null ? List.of() : (List<String>) value;
  }

  @SuppressWarnings("unchecked")
  public List<ExchangeRule> exchanges() {
    Object value = entry(ConfigKeys.EXCHANGES_KEY).value();
    return value == null ? List.of() : (List<ExchangeRule>) value;
  }

  /** Whether signed session tokens are configured (so the built-in Authenticate exists). */
  public boolean tokensEnabled() {
    return isSet(ConfigKeys.AUTH_SECRET) || isSet(ConfigKeys.AUTH_PUBLIC_KEY_FILE);
  }

  public boolean inProcessBroker() {
    return brokerUrls().contains(ConfigKeys.IN_PROCESS);
  }

  /** The RabbitMQ URIs of {@code broker.url}: one, or one per node of a cluster. */
  public List<String> brokerUrls() {
    return list(ConfigKeys.BROKER_URL);
  }

  /** The effective configuration as YAML-like lines, secrets masked, each with its source. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (ConfigKey key : ConfigKeys.ALL) {
      Entry entry = entry(key.name());
      String comment = "  # " + entry.origin();
      if (key.type() == ConfigKey.Type.EXCHANGES) {
        List<ExchangeRule> rules = exchanges();
        out.append(key.name()).append(':').append(rules.isEmpty() ? " {}" : "").append(comment).append('\n');
        for (ExchangeRule rule : rules) {
          out.append("  ").append(rule.name()).append(": {access: ").append(rule.access().word());
          if (rule.url() != null) {
            out.append(", url: ").append(Redaction.httpUrl(rule.url()));
          }
          if (rule.timeout() != null) {
            out.append(", timeout: ").append(Durations.format(rule.timeout()));
          }
          if (rule.cacheTtl() != null) {
            out.append(", cache_ttl: ").append(Durations.format(rule.cacheTtl()));
          }
          out.append("}\n");
        }
        continue;
      }
      out.append(key.name()).append(": ").append(display(key, entry.value())).append(comment).append('\n');
    }
    return out.toString();
  }

  static String display(ConfigKey key, Object value) {
    if (value == null) {
      return "~";
    }
    if (key.name().equals(ConfigKeys.BROKER_URL)) {
      List<String> redacted = ((List<?>) value).stream()
          .map(uri -> uri.equals(ConfigKeys.IN_PROCESS) ? ConfigKeys.IN_PROCESS : Redaction.uri((String) uri)).toList();
      return redacted.size() == 1 ? redacted.get(0) : redacted.toString();
    }
    if (key.name().equals(ConfigKeys.AUTHORIZATION_URL)) {
      return Redaction.httpUrl((String) value);
    }
    if (key.secret()) {
      return ((String) value).isEmpty() ? "\"\"" : "'****'";
    }
    if (value instanceof Duration duration) {
      return Durations.format(duration);
    }
    if (key.type() == ConfigKey.Type.SIZE) {
      return Sizes.format((Long) value);
    }
    if (value instanceof List<?> list) {
      return list.toString();
    }
    if (value instanceof String text && text.isEmpty()) {
      return "\"\"";
    }
    return String.valueOf(value);
  }

  /** Hides the secrets of URIs, for logs, check-config and {@code /status}. */
  static final class Redaction {
    private Redaction() {}

    /**
     * A broker URI without its password: everything between {@code ://} and the last {@code @}
     * is hidden (but a plain user name), parseable or not.
     */
    static String uri(String uri) {
      return RabbitMqBroker.redactUri(uri);
    }

    /**
     * An http(s) URL as logs and check-config show it: scheme://host:port/path, without user
     * info, query or fragment (which may carry secrets).
     */
    static String httpUrl(String url) {
      try {
        URI parsed = new URI(url);
        if (parsed.getScheme() == null || parsed.getHost() == null) {
          return "(unparseable URL)";
        }
        return parsed.getScheme() + "://" + parsed.getRawAuthority().substring(parsed.getRawAuthority().lastIndexOf('@') + 1)
            + (parsed.getRawPath() == null ? "" : parsed.getRawPath());
      } catch (URISyntaxException e) {
        return "(unparseable URL)";
      }
    }
  }
}
