package io.myxi.service;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.myxi.ActionHandler;
import io.myxi.Authorizer;
import io.myxi.server.NodeStats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node's Prometheus metrics through Micrometer: gauges and counters read from {@link NodeStats}
 * (one snapshot per scrape), and timers of our own for publishing, actions and authorizers.
 */
final class Metrics {
  private static final List<String> KNOWN_CLOSE_REASONS = List.of("slow_consumer", "message_too_big", "rate_limited", "authentication_timeout", "too_many_connections");
  private static final List<String> KNOWN_DROP_REASONS = List.of("invalid_body", "no_subscribers", "unknown_exchange");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Set<String>> registeredTags = new ConcurrentHashMap<>();
  private volatile Supplier<NodeStats> source;
  private volatile NodeStats latest;

  Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** Starts reading the node's counters; before this, only the timers exist. */
  void bind(Supplier<NodeStats> stats) {
    this.source = stats;
    this.latest = stats.get();
    gauge("myxi.sessions", "Open WebSocket sessions", s -> s.sessions());
    gauge("myxi.sessions.authenticated", "Open sessions that are authenticated", s -> s.authenticatedSessions());
    gauge("myxi.subscriptions", "Subscriptions over all sessions", s -> s.subscriptions());
    gauge("myxi.bindings", "(exchange, routing key) pairs bound on the node queue", s -> s.bindings());
    gauge("myxi.broker.connected", "1 while the node queue is connected to RabbitMQ", s -> s.brokerConnected() ? 1 : 0);
    counter("myxi.deliveries.received", "Deliveries RabbitMQ handed to this node", s -> s.deliveriesReceived());
    counter("myxi.events.encoded", "Event frames encoded (one per delivery with subscribers)", s -> s.eventsEncoded());
    counter("myxi.frames.sent", "Frames queued to clients", s -> s.framesSent());
    counter("myxi.broker.recoveries", "Times the node queue came back after a broker outage", s -> s.recoveries());
    KNOWN_CLOSE_REASONS.forEach(reason -> tagged("myxi.sessions.closed", "Sessions closed by the node, by reason", "reason", reason, NodeStats::closes));
    KNOWN_DROP_REASONS.forEach(reason -> tagged("myxi.deliveries.dropped", "Deliveries dropped, by reason", "reason", reason, NodeStats::deliveriesDropped));
  }

  /** The Prometheus text of every meter, from a fresh snapshot of the node. */
  String scrape() {
    Supplier<NodeStats> stats = source;
    if (stats != null) {
      NodeStats snapshot = stats.get();
      latest = snapshot;
      snapshot.closes().keySet().forEach(reason -> tagged("myxi.sessions.closed", "Sessions closed by the node, by reason", "reason", reason, NodeStats::closes));
      snapshot.deliveriesDropped().keySet().forEach(reason -> tagged("myxi.deliveries.dropped", "Deliveries dropped, by reason", "reason", reason, NodeStats::deliveriesDropped));
      snapshot.errorsSent().keySet().forEach(code -> tagged("myxi.errors.sent", "Error frames sent to clients, by error code", "code", code, NodeStats::errorsSent));
    }
    return registry.scrape();
  }

  void recordPublish(Duration elapsed, boolean confirmed) {
    Timer.builder("myxi.publish")
        .description("Admin API publishes, from request to RabbitMQ's confirm")
        .tag("result", confirmed ? "confirmed" : "failed")
        .register(registry)
        .record(elapsed);
  }

  ActionHandler timed(String action, ActionHandler handler) {
    Timer timer = Timer.builder("myxi.action").description("Time spent in application actions").tag("action", action).register(registry);
    return request -> {
      long start = System.nanoTime();
      try {
        handler.handle(request);
      } finally {
        timer.record(Duration.ofNanos(System.nanoTime() - start));
      }
    };
  }

  Authorizer timed(String exchange, String rule, Authorizer authorizer) {
    Timer allowed = authorizationTimer(exchange, rule, "allowed");
    Timer denied = authorizationTimer(exchange, rule, "denied");
    return (session, routingKey) -> {
      long start = System.nanoTime();
      boolean result = false;
      try {
        result = authorizer.authorize(session, routingKey);
        return result;
      } finally {
        (result ? allowed : denied).record(Duration.ofNanos(System.nanoTime() - start));
      }
    };
  }

  private Timer authorizationTimer(String exchange, String rule, String result) {
    return Timer.builder("myxi.authorization")
        .description("Time spent deciding subscriptions, by exchange and access rule")
        .tags("exchange", exchange, "rule", rule, "result", result)
        .register(registry);
  }

  private void gauge(String name, String description, Function<NodeStats, Number> value) {
    Gauge.builder(name, this, metrics -> value.apply(metrics.latest).doubleValue()).description(description).register(registry);
  }

  private void counter(String name, String description, Function<NodeStats, Long> value) {
    FunctionCounter.builder(name, this, metrics -> value.apply(metrics.latest)).description(description).register(registry);
  }

  private void tagged(String name, String description, String tag, String value, Function<NodeStats, Map<String, Long>> counts) {
    if (registeredTags.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(value)) {
      FunctionCounter.builder(name, this, metrics -> counts.apply(metrics.latest).getOrDefault(value, 0L))
          .description(description)
          .tag(tag, value)
          .register(registry);
    }
  }
}
