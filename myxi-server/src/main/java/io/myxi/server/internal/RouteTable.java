package io.myxi.server.internal;

import io.myxi.Subscription;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * The local subscribers of every (exchange, routing key), and when the node queue must be bound
 * or unbound for it: bound before its first subscriber is added, unbound when its last one leaves.
 * The heart of the node; pure (the broker is behind {@link Binder}) so its ordering rules are unit
 * tested without a network.
 *
 * <p>Rules, per subscription:
 * <ul>
 *   <li>One bind for any number of subscribers; the subscriber is added only after the bind
 *       succeeded. A failed bind leaves no trace: the next subscriber tries again.
 *   <li>One unbind when the last subscriber leaves, done while the route is still in the table and
 *       locked: a subscriber arriving meanwhile waits, finds the route retired and binds anew
 *       after the unbind. (Removing the route first would let its bind reach the broker before the
 *       unbind, which would then undo it.) A binder may queue the unbind instead of doing it, if
 *       it sends every later bind after it (one FIFO to the broker).
 *   <li>A batch ({@link #addAll}) locks its routes in one global order (exchange, then key), so
 *       two batches never wait for each other in a cycle, and asks the binder for all its binds at
 *       once: one round trip to the broker instead of one per key.
 *   <li>At most {@code maxBound} routes are bound at a time: a key that would need one more is
 *       refused with {@link LimitException} ({@link Limit#NODE_BINDINGS}), as are keys beyond what
 *       the caller's bind permits allow ({@link Limit#BIND_RATE}).
 * </ul>
 *
 * <p>Thread-safe. Adding and removing lock the routes they change (the binder is called under
 * those locks, and may block; a batch holds them until the broker answered, without holding a
 * thread); {@link #subscribers} takes no lock and is the fan-out's read path.
 *
 * @param <S> the subscriber type (sessions; anything in tests)
 */
final class RouteTable<S> {
  /** The order batches lock their routes in. */
  static final Comparator<Subscription> LOCK_ORDER = Comparator.comparing(Subscription::exchange).thenComparing(Subscription::routingKey);

  /** Binds and unbinds the node queue. May block; may throw to refuse. */
  interface Binder {
    void bind(Subscription subscription);

    void unbind(Subscription subscription);

    /**
     * Binds every subscription, returning the failures (an empty map when all were confirmed).
     * The default binds one after the other.
     */
    default Map<Subscription, RuntimeException> bindAll(List<Subscription> subscriptions) {
      Map<Subscription, RuntimeException> failures = new LinkedHashMap<>();
      for (Subscription subscription : subscriptions) {
        try {
          bind(subscription);
        } catch (RuntimeException e) {
          failures.put(subscription, e);
        }
      }
      return failures;
    }

    /**
     * {@link #bindAll} without blocking the caller: the future completes once the broker answered.
     * The default binds at once, on the caller's thread.
     */
    default CompletableFuture<Map<Subscription, RuntimeException>> bindAllAsync(List<Subscription> subscriptions) {
      return CompletableFuture.completedFuture(bindAll(subscriptions));
    }
  }

  /** Which limit refused a bind. */
  enum Limit {
    /** The node holds its maximum of bound routes. */
    NODE_BINDINGS,
    /** The subscriber used up its bind permits. */
    BIND_RATE
  }

  /** A bind refused by a limit, before the broker was asked. */
  static final class LimitException extends RuntimeException {
    private final Limit limit;

    LimitException(Limit limit) {
      super(limit.name(), null, false, false);
      this.limit = limit;
    }

    Limit limit() {
      return limit;
    }
  }

  private final Map<Subscription, Route<S>> routes = new ConcurrentHashMap<>();
  private final Binder binder;
  private final int maxBound;
  private final AtomicInteger bound = new AtomicInteger();

  RouteTable(Binder binder) {
    this(binder, Integer.MAX_VALUE);
  }

  RouteTable(Binder binder, int maxBound) {
    this.binder = binder;
    this.maxBound = maxBound;
  }

  /**
   * Adds {@code subscriber} to the route, binding first if it has no subscriber. Throws what the
   * binder throws (or a {@link LimitException}), and then the subscriber is not added.
   */
  void add(Subscription subscription, S subscriber) {
    RuntimeException failure = addAll(List.of(subscription), subscriber, n -> n).join().get(subscription);
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Adds {@code subscriber} to every route of {@code subscriptions} (distinct), binding those that
   * have no subscriber with one call to the binder. {@code bindPermits} is given the number of
   * binds needed and answers how many may go (the first ones in lock order get them). The routes
   * stay locked until the broker answered, but the caller's thread is free: the future completes
   * (on the binder's thread) with the subscriptions not added, and why; the others were added.
   */
  CompletableFuture<Map<Subscription, RuntimeException>> addAll(List<Subscription> subscriptions, S subscriber, IntUnaryOperator bindPermits) {
    List<Subscription> ordered = new ArrayList<>(new java.util.LinkedHashSet<>(subscriptions)); // a route is locked once
    ordered.sort(LOCK_ORDER);
    List<Route<S>> locked = new ArrayList<>(ordered.size());
    Map<Subscription, RuntimeException> failures = new LinkedHashMap<>();
    List<Subscription> toBind = new ArrayList<>();
    List<Route<S>> toBindRoutes = new ArrayList<>();
    List<Subscription> binding = new ArrayList<>();
    CompletableFuture<Map<Subscription, RuntimeException>> answered;
    try {
      for (Subscription subscription : ordered) {
        locked.add(lockLive(subscription));
        Route<S> route = locked.get(locked.size() - 1);
        if (!route.bound) {
          toBind.add(subscription);
          toBindRoutes.add(route);
        }
      }
      int permitted = toBind.isEmpty() ? 0 : Math.max(0, Math.min(toBind.size(), bindPermits.applyAsInt(toBind.size())));
      for (int i = 0; i < toBind.size(); i++) {
        if (i >= permitted) {
          failures.put(toBind.get(i), new LimitException(Limit.BIND_RATE));
        } else if (!reserveBound()) {
          failures.put(toBind.get(i), new LimitException(Limit.NODE_BINDINGS));
        } else {
          binding.add(toBind.get(i));
        }
      }
      answered = binding.isEmpty() ? CompletableFuture.completedFuture(Map.of()) : binder.bindAllAsync(binding);
    } catch (RuntimeException | Error e) {
      for (Route<S> route : locked) {
        route.lock.release();
      }
      binding.forEach(subscription -> bound.decrementAndGet());
      throw e;
    }
    return answered.handle((refused, thrown) -> {
      try {
        for (Subscription subscription : binding) {
          RuntimeException why = thrown != null ? asRuntime(thrown) : refused.get(subscription);
          if (why != null) {
            bound.decrementAndGet();
            failures.put(subscription, why);
          }
        }
        for (int i = 0; i < toBind.size(); i++) {
          if (!failures.containsKey(toBind.get(i))) {
            toBindRoutes.get(i).bound = true;
          }
        }
        for (int i = 0; i < ordered.size(); i++) {
          Subscription subscription = ordered.get(i);
          Route<S> route = locked.get(i);
          if (!failures.containsKey(subscription)) {
            route.subscribers.add(subscriber);
          } else if (route.subscribers.isEmpty()) {
            // A failed bind leaves no trace.
            route.retired = true;
            routes.remove(subscription, route);
          }
        }
        return failures;
      } finally {
        for (Route<S> route : locked) {
          route.lock.release();
        }
      }
    });
  }

  private static RuntimeException asRuntime(Throwable thrown) {
    Throwable cause = thrown instanceof java.util.concurrent.CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
  }

  /** The live route of a subscription, locked; waits for a retiring one to go. */
  private Route<S> lockLive(Subscription subscription) {
    while (true) {
      Route<S> route = routes.computeIfAbsent(subscription, key -> new Route<>());
      route.lock.acquireUninterruptibly();
      if (!route.retired) {
        return route;
      }
      route.lock.release(); // Its last subscriber left while we waited; take the fresh one.
    }
  }

  private boolean reserveBound() {
    while (true) {
      int current = bound.get();
      if (current >= maxBound) {
        return false;
      }
      if (bound.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Removes {@code subscriber}, unbinding when it was the last. False if it was not there. */
  boolean remove(Subscription subscription, S subscriber) {
    Route<S> route = routes.get(subscription);
    if (route == null) {
      return false;
    }
    route.lock.acquireUninterruptibly();
    try {
      boolean removed = route.subscribers.remove(subscriber);
      if (route.subscribers.isEmpty() && !route.retired) {
        // Unbind while the route is still in the map: see the class comment.
        try {
          if (route.bound) {
            route.bound = false;
            bound.decrementAndGet();
            binder.unbind(subscription);
          }
        } finally {
          route.retired = true;
          routes.remove(subscription, route);
        }
      }
      return removed;
    } finally {
      route.lock.release();
    }
  }

  /** The route's subscribers right now (a live view, safe to iterate), or null if it has none. */
  Set<S> subscribers(Subscription subscription) {
    Route<S> route = routes.get(subscription);
    return route == null ? null : route.subscribers;
  }

  /** Routes with at least one subscriber (or one being added). */
  int size() {
    return routes.size();
  }

  /** Routes bound now (or being bound). */
  int boundCount() {
    return bound.get();
  }

  /** The local subscribers of one (exchange, routing key) and whether the node queue is bound. */
  private static final class Route<S> {
    final Set<S> subscribers = ConcurrentHashMap.newKeySet();
    /** Not a ReentrantLock: a batch takes it on its thread and the broker's answer releases it. */
    final Semaphore lock = new Semaphore(1);
    boolean bound; // guarded by lock
    boolean retired; // guarded by lock
  }
}
