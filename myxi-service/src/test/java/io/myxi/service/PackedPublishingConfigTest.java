package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.broker.RabbitMqBroker;
import io.myxi.service.Config.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code broker.packed_publishing} and {@code broker.routing_buckets}: file, env (both names), flag, checks. */
class PackedPublishingConfigTest {
  @TempDir
  Path dir;

  private Path file(String yaml) throws Exception {
    Path file = dir.resolve("myxi.yml");
    Files.writeString(file, yaml);
    return file;
  }

  private static List<String> problems(Map<String, String> env, Map<String, String> flags) {
    try {
      ConfigLoader.load(null, env, flags);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void both_are_off_by_default() throws Exception {
    Config defaults = ConfigLoader.load(null, Map.of(), Map.of());
    assertThat(defaults.isSet(ConfigKeys.BROKER_PACKED_PUBLISHING)).isFalse();
    assertThat(defaults.integer(ConfigKeys.BROKER_ROUTING_BUCKETS)).isZero();
    assertThat(defaults.entry(ConfigKeys.BROKER_ROUTING_BUCKETS).source()).isEqualTo(Source.DEFAULT);
  }

  @Test
  void they_come_from_the_broker_section_of_the_file() throws Exception {
    Config config = ConfigLoader.load(file("broker:\n  packed_publishing: 1ms\n  routing_buckets: 256\n"), Map.of(), Map.of());
    assertThat(config.duration(ConfigKeys.BROKER_PACKED_PUBLISHING)).isEqualTo(Duration.ofMillis(1));
    assertThat(config.integer(ConfigKeys.BROKER_ROUTING_BUCKETS)).isEqualTo(256);
    Config zero = ConfigLoader.load(file("broker:\n  packed_publishing: 0\n"), Map.of(), Map.of());
    assertThat(zero.duration(ConfigKeys.BROKER_PACKED_PUBLISHING)).as("0: packed, no delay (not off)").isZero();
    assertThat(zero.isSet(ConfigKeys.BROKER_PACKED_PUBLISHING)).isTrue();
  }

  @Test
  void env_has_the_broker_name_first_then_the_short_one_and_flags_beat_both() throws Exception {
    assertThat(ConfigKeys.get(ConfigKeys.BROKER_PACKED_PUBLISHING).envNames()).containsExactly("MYXI_BROKER_PACKED_PUBLISHING", "MYXI_PACKED_PUBLISHING");
    assertThat(ConfigKeys.get(ConfigKeys.BROKER_ROUTING_BUCKETS).envNames()).containsExactly("MYXI_BROKER_ROUTING_BUCKETS", "MYXI_ROUTING_BUCKETS");
    assertThat(ConfigKeys.get(ConfigKeys.BROKER_PACKED_PUBLISHING).flag()).isEqualTo("--broker-packed-publishing");
    assertThat(ConfigKeys.get(ConfigKeys.BROKER_ROUTING_BUCKETS).flag()).isEqualTo("--broker-routing-buckets");

    Config shortNames = ConfigLoader.load(null, Map.of("MYXI_PACKED_PUBLISHING", "2ms", "MYXI_ROUTING_BUCKETS", "64"), Map.of());
    assertThat(shortNames.duration(ConfigKeys.BROKER_PACKED_PUBLISHING)).isEqualTo(Duration.ofMillis(2));
    assertThat(shortNames.integer(ConfigKeys.BROKER_ROUTING_BUCKETS)).isEqualTo(64);
    assertThat(shortNames.entry(ConfigKeys.BROKER_ROUTING_BUCKETS).origin()).isEqualTo("env MYXI_ROUTING_BUCKETS");

    Config both = ConfigLoader.load(null, Map.of("MYXI_ROUTING_BUCKETS", "64", "MYXI_BROKER_ROUTING_BUCKETS", "128"), Map.of());
    assertThat(both.integer(ConfigKeys.BROKER_ROUTING_BUCKETS)).isEqualTo(128);

    Config flag = ConfigLoader.load(file("broker:\n  routing_buckets: 16\n"), Map.of("MYXI_ROUTING_BUCKETS", "64"),
        Map.of("broker.routing_buckets", "32", "broker.packed_publishing", "500ms"));
    assertThat(flag.integer(ConfigKeys.BROKER_ROUTING_BUCKETS)).isEqualTo(32);
    assertThat(flag.entry(ConfigKeys.BROKER_ROUTING_BUCKETS).origin()).isEqualTo("flag --broker-routing-buckets");
    assertThat(flag.duration(ConfigKeys.BROKER_PACKED_PUBLISHING)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void bad_values_name_the_key_the_source_and_the_range() throws Exception {
    assertThat(problems(Map.of("MYXI_PACKED_PUBLISHING", "2s"), Map.of())).containsExactly(
        "broker.packed_publishing: must be in 0s..1s (env MYXI_PACKED_PUBLISHING), got 2s");
    assertThat(problems(Map.of(), Map.of("broker.packed_publishing", "1"))).containsExactly(
        "broker.packed_publishing: expected a duration with a unit, such as 500ms, 10s, 5m or 1h (flag --broker-packed-publishing), got '1'");
    assertThat(problems(Map.of("MYXI_BROKER_ROUTING_BUCKETS", "65537"), Map.of())).containsExactly(
        "broker.routing_buckets: must be in 0..65536 (env MYXI_BROKER_ROUTING_BUCKETS), got 65537");
    assertThat(problems(Map.of("MYXI_ROUTING_BUCKETS", "-1"), Map.of())).containsExactly(
        "broker.routing_buckets: must be in 0..65536 (env MYXI_ROUTING_BUCKETS), got -1");
    assertThat(problems(Map.of("MYXI_ROUTING_BUCKETS", "many"), Map.of())).containsExactly(
        "broker.routing_buckets: expected a whole number (env MYXI_ROUTING_BUCKETS), got 'many'");
    Path file = file("broker:\n  packed_publishing: 1h\n");
    try {
      ConfigLoader.load(file, Map.of(), Map.of());
      throw new AssertionError("expected a ConfigException");
    } catch (ConfigException e) {
      assertThat(e.problems()).containsExactly("broker.packed_publishing: must be in 0s..1s (file " + file + "), got 1h");
    }
  }

  @Test
  void a_misspelt_short_variable_is_still_refused_with_a_suggestion() {
    assertThat(problems(Map.of("MYXI_ROUTING_BUCKET", "8"), Map.of()))
        .containsExactly("MYXI_ROUTING_BUCKET: unknown environment variable (did you mean MYXI_ROUTING_BUCKETS?)");
  }

  @Test
  void the_builder_takes_what_the_configuration_holds() throws Exception {
    Config config = ConfigLoader.load(null, Map.of("MYXI_PACKED_PUBLISHING", "1ms", "MYXI_ROUTING_BUCKETS", "256"), Map.of());
    // Builds (connects to nothing): the values are within the builder's own ranges.
    try (RabbitMqBroker broker = StandaloneNode.packing(config, RabbitMqBroker.builder().uri("amqp://guest:guest@127.0.0.1:1")).build()) {
      assertThat(broker.describe()).contains("127.0.0.1:1");
    }
  }
}
