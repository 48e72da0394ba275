package io.myxi.service;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.myxi.micrometer.MyxiMetrics;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeListener;
import java.time.Duration;
import java.util.Map;

/**
 * The service's Prometheus registry: the node's meters from {@link MyxiMetrics} (which declares
 * them, for embedders too), the JVM's, and the admin API's own {@code myxi.publish} timer.
 * Authorization timers carry the exchange's access {@code rule} from the configuration.
 */
final class Metrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MyxiMetrics node;
  private volatile Map<String, String> rules = Map.of();

  Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    node = new MyxiMetrics(exchange -> Tags.of("rule", rules.getOrDefault(exchange, "application")));
    node.bindTo(registry);
  }

  /** The node's listener, for {@link MyxiServer.Builder#listener}. */
  NodeListener listener() {
    return node;
  }

  /** The access rule of each configured exchange ({@code public}, {@code token}...), for the authorization timers. */
  void useRules(Map<String, String> rulesByExchange) {
    this.rules = Map.copyOf(rulesByExchange);
  }

  /** Starts reading the node's gauges and totals; before this, only the listener's meters exist. */
  void monitor(MyxiServer server) {
    node.monitor(server);
  }

  /** The Prometheus text of every meter, from a fresh snapshot of the node. */
  String scrape() {
    node.refresh();
    return registry.scrape();
  }

  void recordPublish(Duration elapsed, boolean confirmed) {
    Timer.builder("myxi.publish")
        .description("Admin API publishes, from request to RabbitMQ's confirm")
        .tag("result", confirmed ? "confirmed" : "failed")
        .register(registry)
        .record(elapsed);
  }
}
