package io.myxi.spring.boot;

import io.myxi.server.MyxiServer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code myxi} health indicator, when the application has Spring Boot's health support
 * (spring-boot-starter-actuator) and runs a node. Off with {@code management.health.myxi.enabled=false}.
 */
@AutoConfiguration(after = MyxiAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(MyxiServer.class)
@ConditionalOnEnabledHealthIndicator("myxi")
public class MyxiHealthAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(name = "myxiHealthIndicator")
  public MyxiHealthIndicator myxiHealthIndicator(MyxiServer server) {
    return new MyxiHealthIndicator(server);
  }
}
