package io.myxi.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.myxi.Session;
import io.myxi.server.ActionOutcome;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.DropReason;
import io.myxi.server.NodeListener;
import io.myxi.server.NodeStats;
import io.myxi.server.SessionCloseReason;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node's Prometheus metrics through Micrometer. It is the node's {@link NodeListener}: closes,
 * refusals and drops are counted for every value of their enums (registered up front at 0, so no
 * reason can be missing), actions and authorizations are timed from the node's own reports. Gauges
 * and totals are read from {@link NodeStats} (one snapshot per scrape).
 *
 * <p>As a listener it is called on the node's threads: every method only increments or records a
 * meter looked up in a map, and never throws.
 */
final class Metrics implements NodeListener {
  private static final String CLOSED = "myxi.sessions.closed";
  private static final String CLOSED_DESCRIPTION = "Sessions and connections closed by the node, by reason";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Set<String>> registeredTags = new ConcurrentHashMap<>();
  private final Map<SessionCloseReason, Counter> closedByNode = new EnumMap<>(SessionCloseReason.class);
  private final Map<ConnectionRefusal, Counter> refused = new EnumMap<>(ConnectionRefusal.class);
  private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
  private final Map<String, Timer> actionTimers = new ConcurrentHashMap<>();
  private final Map<String, Counter> actionOutcomes = new ConcurrentHashMap<>();
  private final Map<String, Timer> authorizationTimers = new ConcurrentHashMap<>();
  private volatile Map<String, String> rules = Map.of();
  private volatile Supplier<NodeStats> source;
  private volatile NodeStats latest;

  Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    for (SessionCloseReason reason : SessionCloseReason.values()) {
      if (reason.byNode()) {
        closedByNode.put(reason, Counter.builder(CLOSED).description(CLOSED_DESCRIPTION).tag("reason", reason.key()).register(registry));
      }
    }
    for (ConnectionRefusal reason : ConnectionRefusal.values()) {
      refused.put(reason, Counter.builder(CLOSED).description(CLOSED_DESCRIPTION).tag("reason", reason.key()).register(registry));
    }
    for (DropReason reason : DropReason.values()) {
      dropped.put(reason, Counter.builder("myxi.deliveries.dropped").description("Deliveries dropped, by reason").tag("reason", reason.key()).register(registry));
    }
  }

  /** The access rule of each configured exchange ({@code public}, {@code token}...), for the authorization timers. */
  void useRules(Map<String, String> rulesByExchange) {
    this.rules = Map.copyOf(rulesByExchange);
  }

  /** Starts reading the node's gauges and totals; before this, only the listener's meters exist. */
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
  }

  /** The Prometheus text of every meter, from a fresh snapshot of the node. */
  String scrape() {
    Supplier<NodeStats> stats = source;
    if (stats != null) {
      NodeStats snapshot = stats.get();
      latest = snapshot;
      // Error codes are open-ended (applications send their own): registered as they appear.
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

  @Override
  public void sessionClosed(Session session, SessionCloseReason reason) {
    Counter counter = closedByNode.get(reason);
    if (counter != null) {
      counter.increment();
    }
  }

  @Override
  public void connectionRefused(ConnectionRefusal reason) {
    refused.get(reason).increment();
  }

  @Override
  public void deliveryDropped(String exchange, String routingKey, DropReason reason) {
    dropped.get(reason).increment();
  }

  @Override
  public void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {
    // Only built-in and registered actions are reported: the names are bounded.
    actionOutcomes.computeIfAbsent(action + '\0' + outcome.key(), key -> Counter.builder("myxi.actions")
        .description("Actions run, by action and outcome")
        .tags("action", action, "outcome", outcome.key())
        .register(registry)).increment();
    if (outcome != ActionOutcome.AUTH_REQUIRED) {
      actionTimers.computeIfAbsent(action, name -> Timer.builder("myxi.action")
          .description("Time spent in actions")
          .tag("action", name)
          .register(registry)).record(durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {
    String result = allowed ? "allowed" : "denied";
    authorizationTimers.computeIfAbsent(exchange + '\0' + result, key -> Timer.builder("myxi.authorization")
        .description("Time spent deciding subscriptions, by exchange and access rule")
        .tags("exchange", exchange, "rule", rules.getOrDefault(exchange, "application"), "result", result)
        .register(registry)).record(durationNanos, TimeUnit.NANOSECONDS);
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
