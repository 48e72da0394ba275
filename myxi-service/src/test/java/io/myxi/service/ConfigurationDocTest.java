package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists every key, with its env vars, flag, type and default, as the code has them. */
class ConfigurationDocTest {
  static String row(ConfigKey key) {
    String env = String.join(", ", key.envNames().stream().map(name -> "`" + name + "`").toList());
    String defaultValue = key.defaultValue() == null ? "(not set)" : key.defaultValue().isEmpty() ? "`\"\"` (empty)" : "`" + key.defaultValue() + "`";
    String type = switch (key.type()) {
      case INT -> "integer";
      case DECIMAL -> "number";
      case BOOLEAN -> "boolean";
      case DURATION -> "duration";
      case SIZE -> "size";
      case LIST -> "list";
      case CHOICE -> String.join(" / ", key.choices());
      case PATH -> "file";
      case EXCHANGES -> "mapping";
      default -> "string";
    };
    return "| `" + key.name() + "` | " + env + " | `" + key.flag() + "` | " + type + " | " + defaultValue + " | ";
  }

  @Test
  void every_key_is_documented_as_the_code_defines_it() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    for (ConfigKey key : ConfigKeys.ALL) {
      assertThat(doc).as(key.name()).contains(row(key));
    }
  }
}
