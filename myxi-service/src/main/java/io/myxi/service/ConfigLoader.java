package io.myxi.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.myxi.service.Config.Entry;
import io.myxi.service.Config.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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

  private final List<String> problems = new ArrayList<>();
  private final ConfigValues valueParser = new ConfigValues(problems);
  private final ExchangeRulesParser exchangeParser = new ExchangeRulesParser(problems);

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
      throw new ConfigException("config file " + file + ": expected a mapping of keys (key: value), found " + ConfigValues.describeNode(root));
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
          problems.add(name + ": expected a section of keys (" + keysOf(name) + ") in " + file + ", found " + ConfigValues.describeNode(value));
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
      known.addAll(key.envNames());
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
    Object value = key.type() == ConfigKey.Type.EXCHANGES ? exchangeParser.fromText(text.trim(), origin) : valueParser.parse(key, text.trim(), origin);
    return value == null ? null : new Entry(value, source, origin);
  }

  private Entry fromNode(ConfigKey key, JsonNode node, String origin) {
    if (key.type() == ConfigKey.Type.EXCHANGES) {
      Object rules = exchangeParser.fromNode(node, origin);
      return rules == null ? null : new Entry(rules, Source.FILE, origin);
    }
    if (key.type() == ConfigKey.Type.LIST && node.isArray()) {
      List<String> items = new ArrayList<>();
      for (JsonNode item : node) {
        if (!item.isValueNode()) {
          problems.add(key.name() + ": expected a list of strings (" + origin + "), found " + ConfigValues.describeNode(item) + " in it");
          return null;
        }
        items.add(item.asText());
      }
      Object value = valueParser.listValue(key, items, origin);
      return value == null ? null : new Entry(value, Source.FILE, origin);
    }
    if (!node.isValueNode()) {
      problems.add(key.name() + ": expected " + ConfigValues.expected(key) + " (" + origin + "), found " + ConfigValues.describeNode(node));
      return null;
    }
    return parsed(key, node.asText(), Source.FILE, origin);
  }

  // ---------------------------------------------------------------- messages

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
