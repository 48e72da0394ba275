package io.myxi.maven;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class RunMojoTest {
  @Test
  void myxiUserPropertiesBecomeConfigurationKeysExceptThePluginsOwn() {
    Properties properties = new Properties();
    properties.setProperty("myxi.port", "9000");
    properties.setProperty("myxi.broker.url", "amqp://rabbit");
    properties.setProperty("myxi.config", "myxi.yml");
    properties.setProperty("myxi.skip", "true");
    properties.setProperty("maven.repo.local", "/tmp/repo");

    assertThat(RunMojo.commandLineSettings(properties)).isEqualTo(Map.of("port", "9000", "broker.url", "amqp://rabbit"));
  }
}
