package io.myxi.spring.boot;

import io.myxi.Myxi;
import io.myxi.MyxiSetup;
import io.myxi.Registrar;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.micrometer.MyxiMetrics;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeListener;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Myxi for a Spring Boot application: the broker, the {@link Myxi} registry (inject it to call
 * {@code pushEvent}) with the actions and exchanges of every {@link MyxiSetup} bean, and a {@link
 * MyxiServer} started and drained with the application, all from {@code myxi.*} properties. Each
 * bean steps aside for one of the application's own.
 *
 * <p>The node's meters come from a {@link MyxiMetrics} bean: a Micrometer {@code MeterBinder} that
 * Spring Boot binds to the application's {@code MeterRegistry} when it has one.
 */
@AutoConfiguration
@EnableConfigurationProperties(MyxiProperties.class)
public class MyxiAutoConfiguration {
  /** The value of {@code myxi.broker.url} that selects the in-process broker. */
  public static final String IN_PROCESS = "in-process";

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public Broker myxiBroker(MyxiProperties properties) {
    MyxiProperties.Broker settings = properties.getBroker();
    if (IN_PROCESS.equals(settings.getUrl())) {
      return new InProcessBroker();
    }
    RabbitMqBroker broker = RabbitMqBroker.builder()
        .uri(settings.getUrl())
        .connectionName(settings.getConnectionName())
        .recoveryDelay(settings.getRecoveryDelay())
        .maxRecoveryDelay(settings.getMaxRecoveryDelay())
        .build();
    broker.start(); // connects in the background; the node is not ready until it has
    return broker;
  }

  /**
   * The registry, with every {@link MyxiSetup} bean applied in their order ({@code @Order}). A setup
   * sees a {@link Registrar} only: the broker and options belong to the properties.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public Myxi myxi(Broker broker, MyxiProperties properties, ObjectProvider<MyxiSetup> setups) {
    Myxi.Builder builder = Myxi.builder()
        .broker(broker)
        .exchangePrefix(properties.getExchangePrefix())
        .publishTimeout(properties.getPublishTimeout());
    Registrar registrar = Registrar.viewOf(builder);
    for (MyxiSetup setup : setups.orderedStream().toList()) {
      try {
        setup.configure(registrar);
      } catch (Exception e) {
        throw new IllegalStateException("MyxiSetup " + setup.getClass().getName() + " failed: " + e.getMessage(), e);
      }
    }
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean
  public MyxiMetrics myxiMetrics() {
    return new MyxiMetrics();
  }

  /** The node, unless {@code myxi.server.enabled=false} (a process that only pushes events). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "myxi.server", name = "enabled", havingValue = "true", matchIfMissing = true)
  static class ServerConfiguration {
    /**
     * Built from the properties, then given to every {@link MyxiServerCustomizer} bean; observed by
     * every {@link NodeListener} bean ({@link MyxiMetrics} among them). Started by {@link
     * MyxiServerLifecycle}.
     */
    @Bean(destroyMethod = "stop")
    @ConditionalOnMissingBean
    MyxiServer myxiServer(Myxi myxi, MyxiProperties properties, ObjectProvider<NodeListener> listeners,
        ObjectProvider<MyxiServerCustomizer> customizers, ObjectProvider<MyxiMetrics> metrics) {
      MyxiProperties.Server settings = properties.getServer();
      MyxiServer.Builder builder = MyxiServer.builder(myxi)
          .port(settings.getPort())
          .allowedOrigins(settings.getAllowedOrigins().toArray(new String[0]))
          .allowMissingOrigin(settings.isAllowMissingOrigin())
          .trustedProxies(settings.getTrustedProxies().toArray(new String[0]))
          .shutdownWindow(settings.getShutdownWindow())
          .reauthorizeInterval(settings.getReauthorizeInterval())
          .bindTimeout(settings.getBindTimeout())
          .authenticationTimeout(settings.getAuthenticationTimeout())
          .connectionLostTimeout(settings.getConnectionLostTimeout())
          .handshakeTimeout(settings.getHandshakeTimeout())
          .maxConnections(settings.getMaxConnections())
          .maxMessageBytes(settings.getMaxMessageBytes())
          .maxBufferedBytes(settings.getMaxBufferedBytes())
          .maxSubscriptionsPerSession(settings.getMaxSubscriptionsPerSession())
          .actionRateLimit(settings.getActionsPerSecond(), settings.getActionBurst())
          .workerThreads(settings.getWorkerThreads());
      if (settings.getBindAddress() != null && !settings.getBindAddress().isBlank()) {
        builder.bindAddress(settings.getBindAddress());
      }
      List<NodeListener> all = listeners.orderedStream().toList();
      if (!all.isEmpty()) {
        builder.listener(all.size() == 1 ? all.get(0) : new NodeListeners(all));
      }
      customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
      MyxiServer server = builder.build();
      metrics.ifAvailable(meters -> meters.monitor(server));
      return server;
    }

    /** Starts and drains the node, the auto-configured one or the application's own. */
    @Bean
    @ConditionalOnMissingBean
    MyxiServerLifecycle myxiServerLifecycle(MyxiServer server) {
      return new MyxiServerLifecycle(server);
    }
  }
}
