package io.myxi.server;

import io.myxi.Myxi;
import io.myxi.testing.FixedRate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An application publishing numbered events at a fixed rate, round-robin over a set of keys, the
 * way a deployment log or a notification feed does, and recording what the broker confirmed. The
 * i-th publish goes to key {@code i % keys}, numbered {@code seq = i / keys} within its key, so a
 * client of one key must see 0, 1, 2… with no gap and no repeat ({@link FeedReceiver} checks that).
 *
 * <p>Publishes are asynchronous ({@code pushEventAsync}): a broker fault shows as failed futures,
 * never as a stalled feed. A publish that failed may still have been stored (at-least-once), so
 * the checks only require the confirmed ones.
 */
final class NumberedFeed implements AutoCloseable {
  static final String EVENT = "Line";
  /** Publishes recorded at most; the feeds of the tests stay far below (a minute at 500/s is 30,000). */
  private static final int CAPACITY = 200_000;

  private final Myxi publisher;
  private final String exchange;
  private final List<String> keys;
  private final String padding;
  private final AtomicInteger published = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  /** Per key, the highest seq confirmed so far (-1: none). */
  private final AtomicIntegerArray confirmedMax;
  private final AtomicLongArray publishedAtNanos = new AtomicLongArray(CAPACITY);
  /** 1 where the broker confirmed the i-th publish. */
  private final AtomicIntegerArray confirmedFlags = new AtomicIntegerArray(CAPACITY);
  private final Map<Integer, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
  private FixedRate rate;

  NumberedFeed(Myxi publisher, String exchange, List<String> keys, int paddingChars) {
    this.publisher = publisher;
    this.exchange = exchange;
    this.keys = List.copyOf(keys);
    this.padding = "x".repeat(paddingChars);
    this.confirmedMax = new AtomicIntegerArray(keys.size());
    for (int k = 0; k < keys.size(); k++) {
      confirmedMax.set(k, -1);
    }
  }

  /** Starts publishing one event every {@code period}. */
  NumberedFeed start(Duration period) {
    rate = FixedRate.start(period, this::publish);
    return this;
  }

  private void publish(int i) {
    if (i >= CAPACITY) {
      throw new IllegalStateException("feed over capacity");
    }
    int key = i % keys.size();
    int seq = i / keys.size();
    publishedAtNanos.set(i, System.nanoTime());
    published.incrementAndGet();
    CompletableFuture<Void> confirm;
    try {
      confirm = publisher.pushEventAsync(exchange, keys.get(key), EVENT, Map.of("seq", seq, "key", keys.get(key), "line", padding));
    } catch (RuntimeException refused) {
      failed.incrementAndGet();
      failures.add(refused);
      return;
    }
    pending.put(i, confirm);
    confirm.whenComplete((ok, error) -> {
      pending.remove(i);
      if (error != null) {
        failed.incrementAndGet();
        failures.add(error);
      } else {
        confirmedFlags.set(i, 1);
        confirmedMax.accumulateAndGet(key, seq, Math::max);
      }
    });
  }

  /** Stops publishing and waits (bounded) for the broker's answer to every publish in flight. */
  void stop(Duration timeout) throws Exception {
    if (rate != null) {
      rate.close();
    }
    List<CompletableFuture<Void>> waiting = new ArrayList<>(pending.values());
    CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).exceptionally(e -> null)
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  int published() {
    return published.get();
  }

  int failed() {
    return failed.get();
  }

  List<Throwable> failures() {
    return List.copyOf(failures);
  }

  List<String> keys() {
    return keys;
  }

  /** The highest seq of {@code key} the broker confirmed, -1 if none. */
  int confirmedMax(String key) {
    return confirmedMax.get(keys.indexOf(key));
  }

  /** Whether the broker confirmed the event {@code seq} of {@code key}. */
  boolean confirmed(String key, int seq) {
    int i = seq * keys.size() + keys.indexOf(key);
    return i < CAPACITY && confirmedFlags.get(i) == 1;
  }

  /** When the event {@code seq} of {@code key} was published ({@link System#nanoTime}). */
  long publishedAtNanos(String key, int seq) {
    return publishedAtNanos.get(seq * keys.size() + keys.indexOf(key));
  }

  @Override
  public void close() throws Exception {
    if (rate != null) {
      rate.close();
    }
  }
}
