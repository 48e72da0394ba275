package io.myxi.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The live dashboard of one node, for any HTTP server: {@link #page()} is a self-contained HTML
 * page (no external script or style) that polls {@code dashboard.json} next to it every second,
 * and {@link #json()} is that document, built from {@link NodeStats}: sessions, subscriptions,
 * deliveries, frames, drops and errors per second, broker state and the recent problems.
 *
 * <p>Mount both under the same path prefix, such as {@code /myxi/dashboard} and {@code
 * /myxi/dashboard.json}. The runnable service serves them on its admin listener.
 *
 * <p>Rates and recent problems come from the difference between successive snapshots, taken when
 * {@link #json()} is called (at most once per {@link #MIN_SAMPLE_INTERVAL}; calls in between reuse
 * the last rates): no thread and no listener of its own. A problem is reported as a count and its
 * reason (for example 3 {@code slow_consumer} closes) at the first call that sees it. Thread-safe.
 */
public final class NodeDashboard {
  /** The page's resource in this jar. */
  public static final String PAGE_RESOURCE = "io/myxi/server/dashboard.html";
  /** Snapshots closer together than this reuse the previous rates (several viewers poll at once). */
  public static final Duration MIN_SAMPLE_INTERVAL = Duration.ofMillis(800);
  /** How many recent problems the document lists, newest first. */
  public static final int RECENT_PROBLEMS = 20;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Supplier<NodeStats> stats;
  private final Supplier<Boolean> ready;
  private final Supplier<String> brokerDescription;
  private final Clock clock;
  private final Deque<ObjectNode> problems = new ArrayDeque<>();
  private Sample previous;
  private Rates rates = Rates.ZERO;

  /** The dashboard of a started (or starting) server. */
  public NodeDashboard(MyxiServer server) {
    this(server::stats, server::isReady, () -> server.myxi().broker().describe(), Clock.systemUTC());
  }

  /** From the parts the document needs (tests, and nodes built another way). */
  public NodeDashboard(Supplier<NodeStats> stats, Supplier<Boolean> ready, Supplier<String> brokerDescription, Clock clock) {
    this.stats = Objects.requireNonNull(stats, "stats == null");
    this.ready = Objects.requireNonNull(ready, "ready == null");
    this.brokerDescription = Objects.requireNonNull(brokerDescription, "brokerDescription == null");
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  /** The dashboard page (UTF-8 HTML); serve it as {@code text/html; charset=utf-8}. */
  public static byte[] page() {
    try (InputStream in = NodeDashboard.class.getClassLoader().getResourceAsStream(PAGE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(PAGE_RESOURCE + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The document the page polls (UTF-8 JSON); serve it as {@code application/json}, uncached. */
  public byte[] json() {
    try {
      return MAPPER.writeValueAsBytes(document());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The same document as a tree. */
  public synchronized ObjectNode document() {
    NodeStats now = stats.get();
    Instant at = clock.instant();
    Sample current = new Sample(at, now);
    if (previous == null) {
      previous = current;
    } else {
      Duration elapsed = Duration.between(previous.at, at);
      if (elapsed.compareTo(MIN_SAMPLE_INTERVAL) >= 0) {
        rates = Rates.between(previous, current, elapsed);
        noteProblems(previous.stats, now, at);
        previous = current;
      }
    }

    ObjectNode document = MAPPER.createObjectNode();
    document.put("generated_at", at.toString());
    ArrayNode nodes = document.putArray("nodes");
    ObjectNode node = nodes.addObject();
    node.put("node_id", now.nodeId());
    node.put("started_at", now.startedAt().toString());
    node.put("uptime_seconds", Math.max(0, Duration.between(now.startedAt(), at).toSeconds()));
    node.put("ready", ready.get());
    ObjectNode broker = node.putObject("broker");
    broker.put("connected", now.brokerConnected());
    broker.put("description", brokerDescription.get());
    broker.put("queue", now.queueName());
    broker.put("recoveries", now.recoveries());
    node.put("sessions", now.sessions());
    node.put("authenticated_sessions", now.authenticatedSessions());
    node.put("subscriptions", now.subscriptions());
    node.put("bindings", now.bindings());
    ObjectNode totals = node.putObject("totals");
    totals.put("deliveries_received", now.deliveriesReceived());
    totals.put("events_encoded", now.eventsEncoded());
    totals.put("frames_sent", now.framesSent());
    totals.put("deliveries_dropped", sum(now.deliveriesDropped()));
    totals.put("errors_sent", sum(now.errorsSent()));
    totals.put("closed_by_node", sum(now.closes()));
    ObjectNode perSecond = node.putObject("per_second");
    perSecond.put("deliveries", rates.deliveries);
    perSecond.put("events", rates.events);
    perSecond.put("frames", rates.frames);
    perSecond.put("drops", rates.drops);
    perSecond.put("errors", rates.errors);
    node.set("dropped_by_reason", MAPPER.valueToTree(now.deliveriesDropped()));
    node.set("errors_by_code", MAPPER.valueToTree(now.errorsSent()));
    node.set("closed_by_reason", MAPPER.valueToTree(now.closes()));
    ArrayNode recent = document.putArray("recent_problems");
    problems.forEach(recent::add);
    return document;
  }

  private void noteProblems(NodeStats before, NodeStats after, Instant at) {
    if (before.brokerConnected() && !after.brokerConnected()) {
      problem(at, "broker", "broker connection lost", 1);
    } else if (!before.brokerConnected() && after.brokerConnected()) {
      problem(at, "broker", "broker connection back", 1);
    }
    increases(before.deliveriesDropped(), after.deliveriesDropped(), at, "drop", "deliveries dropped: ");
    increases(before.errorsSent(), after.errorsSent(), at, "error", "Error frames sent: ");
    increases(before.closes(), after.closes(), at, "close", "closed by the node: ");
  }

  private void increases(Map<String, Long> before, Map<String, Long> after, Instant at, String kind, String text) {
    after.forEach((key, count) -> {
      long added = count - before.getOrDefault(key, 0L);
      if (added > 0) {
        problem(at, kind, text + key, added);
      }
    });
  }

  private void problem(Instant at, String kind, String text, long count) {
    ObjectNode entry = MAPPER.createObjectNode();
    entry.put("at", at.toString());
    entry.put("kind", kind);
    entry.put("text", text);
    entry.put("count", count);
    problems.addFirst(entry);
    while (problems.size() > RECENT_PROBLEMS) {
      problems.removeLast();
    }
  }

  private static long sum(Map<String, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  private record Sample(Instant at, NodeStats stats) {}

  private record Rates(double deliveries, double events, double frames, double drops, double errors) {
    static final Rates ZERO = new Rates(0, 0, 0, 0, 0);

    static Rates between(Sample before, Sample after, Duration elapsed) {
      double seconds = elapsed.toNanos() / 1e9;
      NodeStats a = before.stats;
      NodeStats b = after.stats;
      return new Rates(
          rate(a.deliveriesReceived(), b.deliveriesReceived(), seconds),
          rate(a.eventsEncoded(), b.eventsEncoded(), seconds),
          rate(a.framesSent(), b.framesSent(), seconds),
          rate(sum(a.deliveriesDropped()), sum(b.deliveriesDropped()), seconds),
          rate(sum(a.errorsSent()), sum(b.errorsSent()), seconds));
    }

    /** Per second, rounded to a tenth; a counter that went back (a restarted node) counts from 0. */
    private static double rate(long before, long after, double seconds) {
      long added = after >= before ? after - before : after;
      return Math.round(added / seconds * 10) / 10.0;
    }
  }
}
