package io.myxi.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.service.Config;
import io.myxi.service.ConfigKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the goal reads its configuration: file, environment, settings and -Dmyxi.* properties. */
class RunMojoTest {
  @TempDir
  Path project;

  @Test
  void myxiUserPropertiesBecomeConfigurationKeysExceptThePluginsOwn() {
    Properties properties = properties(Map.of("myxi.port", "9000", "myxi.broker.url", "amqp://rabbit",
        "myxi.config", "myxi.yml", "myxi.skip", "true", "maven.repo.local", "/tmp/repo"));

    assertThat(RunMojo.commandLineSettings(properties)).isEqualTo(Map.of("port", "9000", "broker.url", "amqp://rabbit"));
  }

  @Test
  void aRelativeFileIsReadFromTheProjectAndEachLayerBeatsTheOneBefore() throws Exception {
    Files.writeString(project.resolve("myxi.yml"), "port: 7001\nexchange_prefix: from-file.\nexchanges:\n  rooms: public\nshutdown_window: 3s\n");
    Config config = RunMojo.loadConfig(Path.of("myxi.yml"),
        Map.of("exchange_prefix", "from-settings.", "shutdown_window", "4s"),
        properties(Map.of("myxi.shutdown_window", "5s")),
        Map.of("MYXI_PORT", "7002"),
        project);

    assertThat(config.integer(ConfigKeys.PORT)).isEqualTo(7002);
    assertThat(config.string(ConfigKeys.EXCHANGE_PREFIX)).isEqualTo("from-settings.");
    assertThat(config.duration(ConfigKeys.SHUTDOWN_WINDOW)).hasSeconds(5);
    assertThat(config.exchanges()).extracting(rule -> rule.name()).containsExactly("rooms");
  }

  @Test
  void theFileNamedByMyxiConfigInTheEnvironmentIsUsedWhenNoneIsConfigured() throws Exception {
    Files.writeString(project.resolve("env.yml"), "port: 7003\n");
    Config config = RunMojo.loadConfig(null, Map.of(), new Properties(), Map.of("MYXI_CONFIG", "env.yml"), project);
    assertThat(config.integer(ConfigKeys.PORT)).isEqualTo(7003);
  }

  @Test
  void anUnknownKeyOrABadValueFailsTheGoalNamingEachProblem() {
    assertThatThrownBy(() -> RunMojo.loadConfig(null, Map.of("prot", "1"), properties(Map.of("myxi.port", "many")), Map.of(), project))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageStartingWith("invalid Myxi configuration:")
        .hasMessageContaining("prot")
        .hasMessageContaining("port");
  }

  @Test
  void aMissingFileFailsTheGoalNamingIt() {
    assertThatThrownBy(() -> RunMojo.loadConfig(Path.of("missing.yml"), Map.of(), new Properties(), Map.of(), project))
        .isInstanceOf(MojoFailureException.class)
        .hasMessageContaining("missing.yml");
  }

  private static Properties properties(Map<String, String> values) {
    Properties properties = new Properties();
    values.forEach(properties::setProperty);
    return properties;
  }
}
