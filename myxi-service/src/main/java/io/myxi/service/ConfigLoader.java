package io.myxi.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.myxi.Myxi;
import io.myxi.service.Config.Entry;
import io.myxi.service.Config.Source;
import io.myxi.Retention;
import io.myxi.service.ExchangeRule.Access;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the configuration from a YAML file, the environment and flags, in that order of
 * increasing strength, and checks it. Every problem is collected and reported at once, each naming
 * its key, where the value came from and why it is refused.
 */
public final class ConfigLoader {
  /** Environment variable naming the configuration file when {@code --config} is not given. */
  public static final String CONFIG_ENV = "MYXI_CONFIG";
  /** {@code MYXI_*} variables that are not configuration keys but are read elsewhere. */
  private static final Set<String> OTHER_ENV = Set.of(CONFIG_ENV, "MYXI_ADMIN_URL");
  private static final Set<String> EXCHANGE_FIELDS = Set.of("access", "url", "timeout", "cache_ttl", "history");
  private static final Set<String> HISTORY_FIELDS = Set.of("max_age", "max_bytes");

  private final List<String> problems = new ArrayList<>();

  private ConfigLoader() {}

  /**
   * @param file the YAML file, or null for none
   * @param environment the process environment
   * @param flags values given on the command line, by key name
   */
  public static Config load(Path file, Map<String, String> environment, Map<String, String> flags) throws ConfigException {
    return new ConfigLoader().run(file, environment, flags);
  }

  private Config run(Path file, Map<String, String> environment, Map<String, String> flags) throws ConfigException {
    Map<String, JsonNode> fromFile = file == null ? Map.of() : readFile(file);
    checkEnvironmentNames(environment);
    String fileName = file == null ? null : file.toString();
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (ConfigKey key : ConfigKeys.ALL) {
      Entry entry = resolve(key, fromFile, fileName, environment, flags);
      if (entry != null) {
        entries.put(key.name(), entry);
      }
    }
    for (String name : flags.keySet()) {
      if (!ConfigKeys.exists(name)) {
        problems.add(name + ": unknown key given as a flag");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Config config = new Config(entries, file);
    problems.addAll(ConfigChecks.problemsOf(config));
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return config;
  }

  // ---------------------------------------------------------------- the file

  private Map<String, JsonNode> readFile(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + ": not found");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot be read (" + e.getMessage() + ")");
    }
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new ConfigException("config file " + file + ": not valid YAML" + where + " (" + e.getOriginalMessage() + ")");
    }
    Map<String, JsonNode> values = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return values; // An empty file: every key at its default.
    }
    if (!root.isObject()) {
      throw new ConfigException("config file " + file + ": expected a mapping of keys (key: value), found " + describeNode(root));
    }
    flatten("", root, file, values);
    return values;
  }

  private void flatten(String prefix, JsonNode node, Path file, Map<String, JsonNode> values) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = prefix + field.getKey();
      JsonNode value = field.getValue();
      if (prefix.isEmpty() && ConfigKeys.SECTIONS.contains(name)) {
        if (value.isObject()) {
          flatten(name + ".", value, file, values);
        } else if (!value.isNull()) {
          problems.add(name + ": expected a section of keys (" + keysOf(name) + ") in " + file + ", found " + describeNode(value));
        }
      } else if (!ConfigKeys.exists(name)) {
        problems.add(name + ": unknown key in " + file + suggestion(name));
      } else if (value.isNull()) {
        continue; // "key:" with nothing after it means the default.
      } else {
        values.put(name, value);
      }
    }
  }

  private static String keysOf(String section) {
    List<String> keys = new ArrayList<>();
    for (ConfigKey key : ConfigKeys.ALL) {
      if (key.name().startsWith(section + ".")) {
        keys.add(key.name().substring(section.length() + 1));
      }
    }
    return String.join(", ", keys);
  }

  // ---------------------------------------------------------------- the environment

  private void checkEnvironmentNames(Map<String, String> environment) {
    Set<String> known = new TreeSet<>(OTHER_ENV);
    for (ConfigKey key : ConfigKeys.ALL) {
      known.add(key.env());
    }
    for (String name : new TreeSet<>(environment.keySet())) {
      if (name.startsWith("MYXI_") && !known.contains(name)) {
        problems.add(name + ": unknown environment variable" + suggestEnv(name, known));
      }
    }
  }

  private static String suggestEnv(String name, Set<String> known) {
    String best = closest(name, known);
    return best == null ? "" : " (did you mean " + best + "?)";
  }

  // ---------------------------------------------------------------- one key

  private Entry resolve(ConfigKey key, Map<String, JsonNode> fromFile, String fileName, Map<String, String> environment, Map<String, String> flags) {
    String flag = flags.get(key.name());
    if (flag != null) {
      return parsed(key, flag, Source.FLAG, "flag " + key.flag());
    }
    for (String env : key.envNames()) {
      String value = environment.get(env);
      if (value != null && !value.isBlank()) {
        return parsed(key, value, Source.ENV, "env " + env);
      }
    }
    JsonNode node = fromFile.get(key.name());
    if (node != null) {
      return fromNode(key, node, "file " + fileName);
    }
    if (key.defaultValue() == null) {
      return null;
    }
    return parsed(key, key.defaultValue(), Source.DEFAULT, "default");
  }

  private Entry parsed(ConfigKey key, String text, Source source, String origin) {
    Object value = parse(key, text.trim(), origin);
    return value == null ? null : new Entry(value, source, origin);
  }

  private Entry fromNode(ConfigKey key, JsonNode node, String origin) {
    if (key.type() == ConfigKey.Type.EXCHANGES) {
      Object rules = exchangesFromNode(node, origin);
      return rules == null ? null : new Entry(rules, Source.FILE, origin);
    }
    if (key.type() == ConfigKey.Type.LIST && node.isArray()) {
      List<String> items = new ArrayList<>();
      for (JsonNode item : node) {
        if (!item.isValueNode()) {
          problems.add(key.name() + ": expected a list of strings (" + origin + "), found " + describeNode(item) + " in it");
          return null;
        }
        items.add(item.asText());
      }
      Object value = listValue(key, items, origin);
      return value == null ? null : new Entry(value, Source.FILE, origin);
    }
    if (!node.isValueNode()) {
      problems.add(key.name() + ": expected " + expected(key) + " (" + origin + "), found " + describeNode(node));
      return null;
    }
    return parsed(key, node.asText(), Source.FILE, origin);
  }

  private Object parse(ConfigKey key, String text, String origin) {
    String where = " (" + origin + ")";
    switch (key.type()) {
      case STRING:
        // An empty value unsets a key that has no default (a flag can so override the file).
        return text.isEmpty() && key.defaultValue() == null ? null : text;
      case PATH:
        return text.isEmpty() ? null : Path.of(text);
      case INT: {
        long parsed;
        try {
          parsed = Long.parseLong(text);
        } catch (NumberFormatException e) {
          problems.add(key.name() + ": expected a whole number" + where + ", got '" + text + "'");
          return null;
        }
        if (parsed < key.min() || parsed > key.max()) {
          problems.add(key.name() + ": must be in " + key.min() + ".." + key.max() + where + ", got " + parsed);
          return null;
        }
        return (int) parsed;
      }
      case DECIMAL: {
        double parsed;
        try {
          parsed = Double.parseDouble(text);
        } catch (NumberFormatException e) {
          problems.add(key.name() + ": expected a number" + where + ", got '" + text + "'");
          return null;
        }
        if (!(parsed >= key.min() && parsed <= key.max())) {
          problems.add(key.name() + ": must be in " + key.min() + ".." + key.max() + where + ", got " + text);
          return null;
        }
        return parsed;
      }
      case BOOLEAN:
        if (text.equalsIgnoreCase("true")) {
          return true;
        }
        if (text.equalsIgnoreCase("false")) {
          return false;
        }
        problems.add(key.name() + ": expected true or false" + where + ", got '" + text + "'");
        return null;
      case DURATION: {
        Duration parsed = Durations.parse(text);
        if (parsed == null) {
          problems.add(key.name() + ": expected a duration with a unit, such as 500ms, 10s, 5m or 1h" + where + ", got '" + text + "'");
        }
        return parsed;
      }
      case SIZE: {
        Long parsed = Sizes.parse(text);
        if (parsed == null) {
          problems.add(key.name() + ": expected a size such as 64MB, 512MiB or 0 (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)" + where + ", got '" + text + "'");
        } else if (parsed < key.min() || parsed > key.max()) {
          problems.add(key.name() + ": must be in " + key.min() + ".." + key.max() + " bytes" + where + ", got " + parsed);
          return null;
        }
        return parsed;
      }
      case CHOICE:
        for (String choice : key.choices()) {
          if (choice.equalsIgnoreCase(text)) {
            return choice;
          }
        }
        problems.add(key.name() + ": expected one of " + String.join(", ", key.choices()) + where + ", got '" + text + "'");
        return null;
      case LIST: {
        List<String> items = new ArrayList<>();
        for (String item : text.split(",")) {
          if (!item.isBlank()) {
            items.add(item.trim());
          }
        }
        return listValue(key, items, origin);
      }
      case EXCHANGES:
        return exchangesFromText(text, origin);
      default:
        throw new IllegalStateException(key.type().toString());
    }
  }

  private Object listValue(ConfigKey key, List<String> items, String origin) {
    if (key.name().equals(ConfigKeys.TRUSTED_PROXIES)) {
      for (String item : items) {
        if (!isIpLiteral(item)) {
          problems.add(key.name() + ": '" + item + "' is not an IP address (" + origin + ")");
          return null;
        }
      }
    }
    return List.copyOf(items);
  }

  private static boolean isIpLiteral(String text) {
    if (!text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
      return false;
    }
    try {
      InetAddress.getByName(text); // A literal: no DNS look-up happens.
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- exchanges

  /** {@code widgets=token,news=public}: the environment's and the flag's form. */
  private Object exchangesFromText(String text, String origin) {
    List<ExchangeRule> rules = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int equals = part.indexOf('=');
      if (equals <= 0) {
        problems.add("exchanges: expected name=rule[,name=rule...] such as widgets=token,news=public (" + origin + "), got '" + part.trim() + "'");
        return null;
      }
      String name = part.substring(0, equals).trim();
      ExchangeRule rule = exchange(name, part.substring(equals + 1).trim(), null, null, null, origin);
      if (rule == null) {
        return null;
      }
      if (!seen.add(name)) {
        problems.add("exchanges." + name + ": named twice (" + origin + ")");
        return null;
      }
      rules.add(rule);
    }
    return List.copyOf(rules);
  }

  private Object exchangesFromNode(JsonNode node, String origin) {
    if (!node.isObject()) {
      problems.add("exchanges: expected a mapping of exchange names to rules (" + origin + "), found " + describeNode(node));
      return null;
    }
    List<ExchangeRule> rules = new ArrayList<>();
    int before = problems.size();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = field.getKey();
      JsonNode value = field.getValue();
      String path = "exchanges." + name;
      if (value.isTextual()) {
        ExchangeRule rule = exchange(name, value.textValue(), null, null, null, origin);
        if (rule != null) {
          rules.add(rule);
        }
        continue;
      }
      if (!value.isObject()) {
        problems.add(path + ": expected a rule (public, authenticated, token, http) or {access: ..} (" + origin + "), found " + describeNode(value));
        continue;
      }
      for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
        String field2 = names.next();
        if (!EXCHANGE_FIELDS.contains(field2)) {
          problems.add(path + "." + field2 + ": unknown key in " + origin.substring("file ".length()) + " (an exchange has access, url, timeout, cache_ttl, history)");
        }
      }
      JsonNode access = value.get("access");
      if (access == null || !access.isTextual()) {
        problems.add(path + ".access: required: one of public, authenticated, token, http (" + origin + ")");
        continue;
      }
      String url = textField(value, path, "url", origin);
      Duration timeout = durationField(value, path, "timeout", origin);
      Duration cacheTtl = durationField(value, path, "cache_ttl", origin);
      ExchangeRule rule = exchange(name, access.textValue(), url, timeout, cacheTtl, origin);
      Retention history = history(value.get("history"), path + ".history", origin);
      if (rule != null) {
        rules.add(history == null ? rule : new ExchangeRule(rule.name(), rule.access(), rule.url(), rule.timeout(), rule.cacheTtl(), history));
      }
    }
    return problems.size() == before ? List.copyOf(rules) : null;
  }

  /** {@code history: {max_age: 1h, max_bytes: 1GB}} (at least one of them), or null when absent or wrong. */
  private Retention history(JsonNode node, String path, String origin) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      problems.add(path + ": expected {max_age: .., max_bytes: ..} (" + origin + "), found " + describeNode(node));
      return null;
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!HISTORY_FIELDS.contains(field)) {
        problems.add(path + "." + field + ": unknown key (history has max_age, max_bytes) (" + origin + ")");
        return null;
      }
    }
    Duration maxAge = durationField(node, path, "max_age", origin);
    Long maxBytes = null;
    JsonNode bytes = node.get("max_bytes");
    if (bytes != null && !bytes.isNull()) {
      maxBytes = bytes.isValueNode() ? Sizes.parse(bytes.asText()) : null;
      if (maxBytes == null || maxBytes == 0) {
        problems.add(path + ".max_bytes: expected a size such as 500MB or 1GB (" + origin + "), got '" + bytes.asText() + "'");
        return null;
      }
    }
    if (maxAge == null && maxBytes == null) {
      problems.add(path + ": needs max_age, max_bytes or both (" + origin + ")");
      return null;
    }
    if (maxAge != null && maxAge.getSeconds() < 1) {
      problems.add(path + ".max_age: at least 1s (" + origin + ")");
      return null;
    }
    Retention retention = maxAge != null ? Retention.maxAge(maxAge) : Retention.maxBytes(maxBytes);
    return maxAge != null && maxBytes != null ? retention.withMaxBytes(maxBytes) : retention;
  }

  private String textField(JsonNode object, String path, String field, String origin) {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      problems.add(path + "." + field + ": expected a string (" + origin + "), found " + describeNode(node));
      return null;
    }
    return node.textValue();
  }

  private Duration durationField(JsonNode object, String path, String field, String origin) {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    Duration parsed = node.isValueNode() ? Durations.parse(node.asText()) : null;
    if (parsed == null) {
      problems.add(path + "." + field + ": expected a duration with a unit, such as 500ms, 2s or 1m (" + origin + "), got '" + node.asText() + "'");
    }
    return parsed;
  }

  private ExchangeRule exchange(String name, String accessText, String url, Duration timeout, Duration cacheTtl, String origin) {
    String path = "exchanges." + name;
    if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > Myxi.MAX_NAME_BYTES) {
      problems.add(path + ": an exchange name must have 1 to " + Myxi.MAX_NAME_BYTES + " bytes (" + origin + ")");
      return null;
    }
    Access access = Access.parse(accessText.trim());
    if (access == null) {
      problems.add(path + ": unknown access rule '" + accessText + "', expected one of public, authenticated, token, http (" + origin + ")");
      return null;
    }
    if (access != Access.HTTP && (url != null || timeout != null || cacheTtl != null)) {
      problems.add(path + ": url, timeout and cache_ttl only apply to access http (" + origin + ")");
      return null;
    }
    String urlProblem = url == null ? null : httpUrlProblem(url);
    if (urlProblem != null) {
      problems.add(path + ".url: " + urlProblem + " (" + origin + ")");
      return null;
    }
    return new ExchangeRule(name, access, url, timeout, cacheTtl);
  }

  /**
   * Null when {@code text} is an http(s) URL the http rule can call, else why not. The URL is not
   * quoted: it may carry a secret. User info is refused (it would be sent and logged); put the
   * application's credential in authorization.token instead.
   */
  static String httpUrlProblem(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return "expected an http:// or https:// URL; this one does not parse";
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      return "expected an http:// or https:// URL with a host, got " + Config.Redaction.httpUrl(text);
    }
    if (uri.getRawUserInfo() != null) {
      return "user info (user:password@) is not allowed in the URL: send a credential with authorization.token";
    }
    return null;
  }

  // ---------------------------------------------------------------- messages

  private static String expected(ConfigKey key) {
    return switch (key.type()) {
      case INT -> "a whole number";
      case DECIMAL -> "a number";
      case BOOLEAN -> "true or false";
      case DURATION -> "a duration such as 10s";
      case SIZE -> "a size such as 64MB";
      case LIST -> "a list";
      case CHOICE -> "one of " + String.join(", ", key.choices());
      default -> "a string";
    };
  }

  private static String describeNode(JsonNode node) {
    if (node.isObject()) {
      return "a mapping";
    }
    if (node.isArray()) {
      return "a list";
    }
    return "'" + node.asText() + "'";
  }

  private static String suggestion(String name) {
    List<String> names = new ArrayList<>();
    for (ConfigKey key : ConfigKeys.ALL) {
      names.add(key.name());
    }
    String best = closest(name, names);
    return best == null ? "" : " (did you mean " + best + "?)";
  }

  /** The candidate within a small edit distance of {@code name}, if any. */
  private static String closest(String name, Iterable<String> candidates) {
    String best = null;
    int bestDistance = Math.max(2, name.length() / 4) + 1;
    for (String candidate : candidates) {
      int distance = editDistance(name, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
