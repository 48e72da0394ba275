package io.myxi.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.myxi.Session;
import io.myxi.server.ActionOutcome;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.DropReason;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeHealth;
import io.myxi.server.NodeListener;
import io.myxi.server.NodeStats;
import io.myxi.server.SessionCloseReason;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The node's meters for any Micrometer registry: the one place where Myxi's meters are declared
 * (the runnable service and the Spring Boot starter use it too).
 *
 * <pre>{@code
 * MyxiMetrics metrics = new MyxiMetrics();
 * MyxiServer server = MyxiServer.builder(myxi).listener(metrics).build().start();
 * metrics.monitor(server);
 * metrics.bindTo(registry); // any MeterRegistry; may be called for several
 * }</pre>
 *
 * <p>It is the node's {@link NodeListener}: closes, refusals and drops are counted for every value
 * of their enums (registered up front at 0, so no reason can be missing from a dashboard), actions
 * and authorizations are timed from the node's own reports. Gauges and totals ({@code
 * myxi.sessions}, {@code myxi.deliveries.received}...) read a {@link NodeStats} snapshot of the
 * server given to {@link #monitor}, taken at most once per {@link #SNAPSHOT_MAX_AGE} (or at once
 * with {@link #refresh()}, which a scrape endpoint calls first).
 *
 * <p>Meters are kept in a composite registry of their own, to which {@link #bindTo} adds each
 * registry: what happens before the first {@code bindTo} is not counted.
 *
 * <p>As a listener it is called on the node's threads: every method only increments or records a
 * meter looked up in a map, and never throws.
 */
public final class MyxiMetrics implements NodeListener, MeterBinder {
  /** Gauges and totals read a snapshot at most this old: one snapshot serves a whole scrape. */
  public static final Duration SNAPSHOT_MAX_AGE = Duration.ofSeconds(1);

  private static final String CLOSED = "myxi.sessions.closed";
  private static final String CLOSED_DESCRIPTION = "Sessions and connections closed by the node, by reason";
  private static final String ERRORS_SENT = "myxi.errors.sent";

  private final CompositeMeterRegistry meters = new CompositeMeterRegistry();
  private final Function<String, Iterable<Tag>> exchangeTags;
  private final Map<SessionCloseReason, Counter> closedByNode = new EnumMap<>(SessionCloseReason.class);
  private final Map<ConnectionRefusal, Counter> refused = new EnumMap<>(ConnectionRefusal.class);
  private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
  private final Map<String, Timer> actionTimers = new ConcurrentHashMap<>();
  private final Map<String, Counter> actionOutcomes = new ConcurrentHashMap<>();
  private final Map<String, Timer> authorizationTimers = new ConcurrentHashMap<>();
  private final Set<String> errorCodes = ConcurrentHashMap.newKeySet();
  private final Object monitoring = new Object();
  private volatile MyxiServer server; // guarded by monitoring for writes
  private volatile Reading latest;

  /** One snapshot of the server, and when it was taken. */
  private record Reading(NodeStats stats, NodeHealth health, long takenAtNanos) {}

  /** Meters without extra tags. */
  public MyxiMetrics() {
    this(exchange -> Tags.empty());
  }

  /**
   * Meters whose authorization timers carry extra tags per exchange (the runnable service adds
   * the exchange's access {@code rule}). The function must return the same tag keys for every
   * exchange, and is called once per exchange and result.
   */
  public MyxiMetrics(Function<String, Iterable<Tag>> exchangeTags) {
    this.exchangeTags = Objects.requireNonNull(exchangeTags, "exchangeTags == null");
    for (SessionCloseReason reason : SessionCloseReason.values()) {
      if (reason.byNode()) {
        closedByNode.put(reason, Counter.builder(CLOSED).description(CLOSED_DESCRIPTION).tag("reason", reason.key()).register(meters));
      }
    }
    for (ConnectionRefusal reason : ConnectionRefusal.values()) {
      refused.put(reason, Counter.builder(CLOSED).description(CLOSED_DESCRIPTION).tag("reason", reason.key()).register(meters));
    }
    for (DropReason reason : DropReason.values()) {
      dropped.put(reason, Counter.builder("myxi.deliveries.dropped").description("Deliveries dropped, by reason").tag("reason", reason.key()).register(meters));
    }
  }

  /**
   * Adds {@code registry} to the registries that get the node's meters; the meters already
   * declared appear in it at once. May be called for several registries.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    meters.add(Objects.requireNonNull(registry, "registry == null"));
  }

  /**
   * Starts reading the gauges and totals of {@code server} (the one this instance listens to);
   * before this, only the listener's meters exist. Call it once.
   *
   * @throws IllegalStateException a server is already monitored
   */
  public MyxiMetrics monitor(MyxiServer server) {
    Objects.requireNonNull(server, "server == null");
    synchronized (monitoring) {
      if (this.server != null) {
        throw new IllegalStateException("already monitoring node " + this.server.nodeId());
      }
      this.server = server;
    }
    refresh();
    gauge("myxi.sessions", "Open WebSocket sessions", r -> r.stats().sessions());
    gauge("myxi.sessions.authenticated", "Open sessions that are authenticated", r -> r.stats().authenticatedSessions());
    gauge("myxi.subscriptions", "Subscriptions over all sessions", r -> r.stats().subscriptions());
    gauge("myxi.bindings", "(exchange, routing key) pairs bound on the node queue", r -> r.stats().bindings());
    gauge("myxi.broker.connected", "1 while the node queue is connected to RabbitMQ", r -> r.stats().brokerConnected() ? 1 : 0);
    gauge("myxi.ready", "1 while the node is ready: listening, broker connected, not draining", r -> r.health().ready() ? 1 : 0);
    counter("myxi.deliveries.received", "Deliveries RabbitMQ handed to this node", r -> r.stats().deliveriesReceived());
    counter("myxi.events.encoded", "Event frames encoded (one per delivery with subscribers)", r -> r.stats().eventsEncoded());
    counter("myxi.frames.sent", "Frames queued to clients", r -> r.stats().framesSent());
    counter("myxi.broker.recoveries", "Times the node queue came back after a broker outage", r -> r.stats().recoveries());
    return this;
  }

  /**
   * Takes a fresh snapshot of the monitored server now, and registers the error codes seen since
   * the last one. A scrape endpoint calls it before reading the registry; otherwise gauges refresh
   * by themselves when their snapshot is older than {@link #SNAPSHOT_MAX_AGE}.
   */
  public void refresh() {
    MyxiServer monitored = server;
    if (monitored == null) {
      return;
    }
    Reading reading = new Reading(monitored.stats(), monitored.health(), System.nanoTime());
    latest = reading;
    // Error codes are open-ended (applications send their own): registered as they appear.
    for (String code : reading.stats().errorsSent().keySet()) {
      if (errorCodes.add(code)) {
        FunctionCounter.builder(ERRORS_SENT, this, metrics -> metrics.current().stats().errorsSent().getOrDefault(code, 0L))
            .description("Error frames sent to clients, by error code")
            .tag("code", code)
            .register(meters);
      }
    }
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
        .register(meters)).increment();
    if (outcome != ActionOutcome.AUTH_REQUIRED) {
      actionTimers.computeIfAbsent(action, name -> Timer.builder("myxi.action")
          .description("Time spent in actions")
          .tag("action", name)
          .register(meters)).record(durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {
    String result = allowed ? "allowed" : "denied";
    // Only registered exchanges have authorizers: the names are bounded.
    authorizationTimers.computeIfAbsent(exchange + '\0' + result, key -> Timer.builder("myxi.authorization")
        .description("Time spent deciding subscriptions, by exchange")
        .tags(Tags.of("exchange", exchange, "result", result).and(exchangeTags.apply(exchange)))
        .register(meters)).record(durationNanos, TimeUnit.NANOSECONDS);
  }

  /** The latest snapshot, refreshed first when it is older than {@link #SNAPSHOT_MAX_AGE}. */
  private Reading current() {
    Reading reading = latest;
    if (System.nanoTime() - reading.takenAtNanos() > SNAPSHOT_MAX_AGE.toNanos()) {
      refresh();
      reading = latest;
    }
    return reading;
  }

  private void gauge(String name, String description, ToDoubleFunction<Reading> value) {
    Gauge.builder(name, this, metrics -> value.applyAsDouble(metrics.current())).description(description).register(meters);
  }

  private void counter(String name, String description, ToDoubleFunction<Reading> value) {
    FunctionCounter.builder(name, this, metrics -> value.applyAsDouble(metrics.current())).description(description).register(meters);
  }
}
