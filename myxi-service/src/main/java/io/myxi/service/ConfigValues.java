package io.myxi.service;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One key's value as the file, the environment or a flag writes it: whole numbers, numbers,
 * booleans, durations, sizes, choices, paths and lists, each checked against its key. A refused
 * value adds one problem to the loader's list, naming the key, where the value came from and why.
 */
final class ConfigValues {
  private final List<String> problems;

  ConfigValues(List<String> problems) {
    this.problems = problems;
  }

  /**
   * The value {@code text} (trimmed) stands for, or null when it is refused (a problem names the
   * key, {@code origin} and why) or unsets a key without default. Not for {@link ConfigKey.Type#EXCHANGES}.
   */
  Object parse(ConfigKey key, String text, String origin) {
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
        } else if (parsed.compareTo(Duration.ofMillis(Math.max(0, key.min()))) < 0 || parsed.compareTo(Duration.ofMillis(key.max())) > 0) {
          // min and max of a duration key are milliseconds (unbounded by default).
          problems.add(key.name() + ": must be in " + Durations.format(Duration.ofMillis(Math.max(0, key.min()))) + ".."
              + Durations.format(Duration.ofMillis(key.max())) + where + ", got " + text);
          return null;
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
      default:
        throw new IllegalStateException(key.type().toString());
    }
  }

  Object listValue(ConfigKey key, List<String> items, String origin) {
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

  /** What a key's values look like, for messages about a value of the wrong shape. */
  static String expected(ConfigKey key) {
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

  /** A YAML node as messages show it: a mapping, a list, or the quoted value. */
  static String describeNode(JsonNode node) {
    if (node.isObject()) {
      return "a mapping";
    }
    if (node.isArray()) {
      return "a list";
    }
    return "'" + node.asText() + "'";
  }
}
