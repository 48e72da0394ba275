package io.myxi.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.MyxiSetup;
import io.myxi.Session;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.micrometer.MyxiMetrics;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeHealth;
import io.myxi.server.NodeListener;
import io.myxi.testing.TestClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/** The auto-configuration's beans and conditions, on the in-process broker (no RabbitMQ needed here). */
class MyxiAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MyxiAutoConfiguration.class, MyxiHealthAutoConfiguration.class))
      .withPropertyValues("myxi.broker.url=in-process", "myxi.server.port=0", "myxi.server.bind-address=127.0.0.1",
          "myxi.server.shutdown-window=0s");

  @Configuration(proxyBeanMethods = false)
  static class App {
    static final List<String> opened = new CopyOnWriteArrayList<>();

    @Bean
    @Order(2)
    MyxiSetup widgets() {
      return registrar -> registrar.exchange("widgets", Authorizer.allowAll());
    }

    @Bean
    @Order(1)
    MyxiSetup authenticate() {
      return registrar -> registrar.action("Authenticate", request -> {
        request.session().setAuth("ada");
        request.reply("Authenticated", Map.of("user", "ada"));
      });
    }

    @Bean
    NodeListener failingListener() {
      return new NodeListener() {
        @Override
        public void sessionOpened(Session session) {
          throw new IllegalStateException("a broken listener");
        }
      };
    }

    @Bean
    NodeListener recordingListener() {
      return new NodeListener() {
        @Override
        public void sessionOpened(Session session) {
          opened.add(session.id());
        }
      };
    }
  }

  @Test
  void the_application_setups_become_the_registry_and_the_node_runs_with_the_context() {
    runner.withUserConfiguration(App.class).withPropertyValues("myxi.exchange-prefix=test.").run(context -> {
      Myxi myxi = context.getBean(Myxi.class);
      assertThat(myxi.exchangePrefix()).isEqualTo("test.");
      assertThat(myxi.exchange("widgets")).isPresent();
      assertThat(myxi.action("Authenticate")).isPresent();
      assertThat(myxi.broker()).isInstanceOf(InProcessBroker.class);

      MyxiServer server = context.getBean(MyxiServer.class);
      assertThat(server.health().state()).as("started by the life cycle").isEqualTo(NodeHealth.State.READY);
      MyxiHealthIndicator indicator = context.getBean("myxiHealthIndicator", MyxiHealthIndicator.class);
      assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
      assertThat(indicator.health().getDetails()).containsEntry("state", "ready").containsEntry("brokerConnected", true).containsEntry("draining", false);

      // Every NodeListener bean hears the node, a throwing one does not silence the others.
      try (TestClient client = TestClient.connect(server.port())) {
        assertThat(App.opened).contains(client.sessionId());
        assertThat(client.call("Authenticate", null).get("event").asText()).isEqualTo("Authenticated");
      }
      assertThat(context.getBean(MyxiMetrics.class)).isNotNull();

      context.close();
      assertThat(server.health().state()).as("drained and stopped with the context").isEqualTo(NodeHealth.State.STOPPED);
      assertThat(indicator.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    });
  }

  @Test
  void a_process_that_only_pushes_events_gets_myxi_without_a_node() {
    runner.withPropertyValues("myxi.server.enabled=false").run(context -> {
      assertThat(context).hasSingleBean(Myxi.class).doesNotHaveBean(MyxiServer.class).doesNotHaveBean(MyxiHealthIndicator.class);
    });
  }

  @Test
  void the_application_own_broker_wins_and_the_health_indicator_can_be_turned_off() {
    InProcessBroker own = new InProcessBroker();
    runner.withBean("ownBroker", Broker.class, () -> own).withPropertyValues("management.health.myxi.enabled=false").run(context -> {
      assertThat(context.getBean(Myxi.class).broker()).isSameAs(own);
      assertThat(context).doesNotHaveBean(MyxiHealthIndicator.class).hasSingleBean(MyxiServer.class);
    });
  }

  @Test
  void a_failing_setup_fails_the_start_naming_it() {
    runner.withBean("broken", MyxiSetup.class, () -> registrar -> registrar.exchange("", Authorizer.allowAll())).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().isInstanceOf(IllegalArgumentException.class);
      assertThat(context.getStartupFailure()).hasMessageContaining("MyxiSetup");
    });
  }
}
