package io.myxi.broker.internal;

import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A node queue bound by routing buckets (see {@link io.myxi.broker.RabbitMqBroker.Builder#routingBuckets}):
 * the keys the node's sessions subscribe to are counted per bucket, and only a bucket's first key
 * binds it on the broker and its last key's unbind unbinds it. A key whose bucket is bound already
 * is bound at once, with no broker round trip: the bucket's binding was confirmed before. Events
 * arrive packed with their own keys ({@link PackedEvents}), so the node routes them by key as
 * usual and drops those of keys nobody on it subscribed to.
 *
 * <p>Thread-safe: {@link #apply} holds this object's lock while it waits for the broker, so the
 * counts and the broker's bindings change together (the node changes its bindings from one thread
 * anyway).
 */
public final class BucketedNodeQueue implements NodeQueue {
  /**
   * How long a node keeps a routing bucket bound after its last key left, by default: keys come and
   * go (tabs reloaded, users reconnecting), and a bucket kept costs nothing while unbinding and
   * binding it again costs RabbitMQ a transaction each.
   */
  public static final Duration KEEP_EMPTY = Duration.ofSeconds(10);

  private NodeQueue delegate; // set once by open
  private final int buckets;
  /** How long a bucket stays bound after its last key left: a key coming back costs no round trip. */
  private final Duration keepEmpty;
  /** Unbinds buckets left empty for {@link #keepEmpty}; null when that is zero (unbound at once). */
  private final ScheduledExecutorService timer;
  /**
   * The subscribed keys per exchange, read on the delivering thread
   * without a lock: a bucket carries other keys' events too, and the queue's contract is to pass
   * on only those of pairs bound on it.
   */
  private final Map<String, Set<String>> subscribed = new ConcurrentHashMap<>();
  /**
   * The subscribed keys of each bucket bound (or being bound), maybe none for a while (see
   * {@link #keepEmpty}); a bucket absent here is not bound. Under this object's lock.
   */
  private final Map<Binding, Set<String>> keysByBucket = new HashMap<>();

  private BucketedNodeQueue(int buckets, Duration keepEmpty) {
    this.buckets = buckets;
    this.keepEmpty = keepEmpty;
    if (keepEmpty.isZero()) {
      this.timer = null;
    } else {
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, AmqpSupport.daemonThreads("myxi-amqp-buckets"));
      executor.setRemoveOnCancelPolicy(true);
      this.timer = executor;
    }
  }

  /**
   * A queue bound by {@code buckets} routing buckets, passing {@code listener} the events of the
   * keys bound on it only; {@code open} opens the queue underneath with the listener it is given.
   * A bucket whose last key left is unbound {@code keepEmpty} later (at once when zero).
   */
  public static NodeQueue open(Listener listener, int buckets, Duration keepEmpty, Function<Listener, NodeQueue> open) {
    BucketedNodeQueue bucketed = new BucketedNodeQueue(buckets, keepEmpty);
    bucketed.delegate = open.apply(new Listener() {
      @Override
      public void onDelivery(String exchange, String routingKey, byte[] body) {
        Set<String> keys = bucketed.subscribed.get(exchange);
        if (keys != null && keys.contains(routingKey)) {
          listener.onDelivery(exchange, routingKey, body);
        }
      }

      @Override
      public void onDelivery(String exchange, String routingKey, byte[] buffer, int offset, int length) {
        Set<String> keys = bucketed.subscribed.get(exchange);
        if (keys != null && keys.contains(routingKey)) {
          listener.onDelivery(exchange, routingKey, buffer, offset, length);
        }
      }

      @Override
      public void onDisconnected(String reason) {
        listener.onDisconnected(reason);
      }

      @Override
      public void onRecovered(java.time.Instant downSince, java.time.Instant upAt) {
        listener.onRecovered(downSince, upAt);
      }
    });
    return bucketed;
  }

  /** The queue a bucketed queue wraps, or {@code queue} itself. */
  public static NodeQueue unwrap(NodeQueue queue) {
    return queue instanceof BucketedNodeQueue bucketed ? bucketed.delegate : queue;
  }

  @Override
  public void bind(String exchange, String routingKey, Duration timeout) {
    BrokerException failure = apply(List.of(new Change(exchange, routingKey, true)), timeout).get(0);
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void unbind(String exchange, String routingKey) {
    apply(List.of(new Change(exchange, routingKey, false)), Duration.ofSeconds(10));
  }

  @Override
  public synchronized List<BrokerException> apply(List<Change> changes, Duration timeout) {
    List<Change> bucketChanges = new ArrayList<>();
    // Per change: the index of the bucket bind it waits for, or -1 (nothing to wait for).
    int[] waitsFor = new int[changes.size()];
    Map<Binding, Integer> bindingNow = new HashMap<>();
    // A key of a bound bucket needs no broker call, but while disconnected it fails as any bind does.
    BrokerException down = delegate.isConnected() ? null : new BrokerException("not connected to RabbitMQ");
    BrokerException[] failedAtOnce = new BrokerException[changes.size()];
    for (int i = 0; i < changes.size(); i++) {
      Change change = changes.get(i);
      Binding bucket = bucketOf(change);
      Set<String> keys = keysByBucket.get(bucket);
      waitsFor[i] = -1;
      if (change.bind()) {
        if (keys == null) {
          keys = new HashSet<>();
          keysByBucket.put(bucket, keys);
          bindingNow.put(bucket, bucketChanges.size());
          bucketChanges.add(new Change(bucket.exchange(), bucket.routingKey(), true));
        }
        waitsFor[i] = bindingNow.getOrDefault(bucket, -1);
        if (waitsFor[i] < 0 && down != null && !keys.contains(change.routingKey())) {
          failedAtOnce[i] = down;
          continue;
        }
        keys.add(change.routingKey());
        subscribed.computeIfAbsent(change.exchange(), ignored -> ConcurrentHashMap.newKeySet()).add(change.routingKey());
      } else {
        unsubscribe(change);
        if (keys != null && keys.remove(change.routingKey()) && keys.isEmpty()) {
          if (timer == null) {
            keysByBucket.remove(bucket);
            bindingNow.remove(bucket);
            bucketChanges.add(new Change(bucket.exchange(), bucket.routingKey(), false));
          } else {
            releaseLater(bucket);
          }
        }
      }
    }
    List<BrokerException> bucketResults = bucketChanges.isEmpty() ? List.of() : delegate.apply(bucketChanges, timeout);
    List<BrokerException> results = new ArrayList<>(changes.size());
    for (int i = 0; i < changes.size(); i++) {
      BrokerException failure = waitsFor[i] < 0 ? failedAtOnce[i] : bucketResults.get(waitsFor[i]);
      results.add(failure);
      if (failure != null && waitsFor[i] >= 0) {
        // The bucket is not bound: neither is any key that waited for it.
        Change change = changes.get(i);
        Binding bucket = bucketOf(change);
        unsubscribe(change);
        Set<String> keys = keysByBucket.get(bucket);
        if (keys != null) {
          keys.remove(change.routingKey());
          if (keys.isEmpty()) {
            keysByBucket.remove(bucket);
          }
        }
      }
    }
    return results;
  }

  private Binding bucketOf(Change change) {
    return new Binding(change.exchange(), PackedEvents.bucketKey(change.routingKey(), buckets));
  }

  /** Unbinds a bucket that had no key for {@link #keepEmpty}, unless one came meanwhile. */
  private void releaseLater(Binding bucket) {
    try {
      timer.schedule(() -> {
        synchronized (this) {
          Set<String> keys = keysByBucket.get(bucket);
          if (keys != null && keys.isEmpty()) {
            keysByBucket.remove(bucket);
            delegate.apply(List.of(new Change(bucket.exchange(), bucket.routingKey(), false)), Duration.ofSeconds(10));
          }
        }
      }, keepEmpty.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // Closed: the queue goes with its bindings.
    }
  }

  private void unsubscribe(Change change) {
    Set<String> keys = subscribed.get(change.exchange());
    if (keys != null) {
      keys.remove(change.routingKey()); // The exchange's empty set stays: exchanges are few.
    }
  }

  /** The subscribed keys (not the buckets), as {@code exchange + '\0' + routingKey}. */
  @Override
  public Set<String> bindings() {
    Set<String> pairs = new HashSet<>();
    subscribed.forEach((exchange, keys) -> keys.forEach(key -> pairs.add(exchange + '\0' + key)));
    return Set.copyOf(pairs);
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public boolean isConnected() {
    return delegate.isConnected();
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    delegate.close();
  }
}
