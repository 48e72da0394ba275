package io.myxi.server.internal;

import io.myxi.Subscription;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 *       unbind, which would then undo it.)
 * </ul>
 *
 * <p>Thread-safe. Adding and removing lock the one route they change (the binder is called under
 * that lock, and may block); {@link #subscribers} takes no lock and is the fan-out's read path.
 *
 * @param <S> the subscriber type (sessions; anything in tests)
 */
final class RouteTable<S> {
  /** Binds and unbinds the node queue. May block; may throw to refuse. */
  interface Binder {
    void bind(Subscription subscription);

    void unbind(Subscription subscription);
  }

  private final Map<Subscription, Route<S>> routes = new ConcurrentHashMap<>();
  private final Binder binder;

  RouteTable(Binder binder) {
    this.binder = binder;
  }

  /**
   * Adds {@code subscriber} to the route, binding first if it has no subscriber. Throws what the
   * binder throws, and then the subscriber is not added.
   */
  void add(Subscription subscription, S subscriber) {
    while (true) {
      Route<S> route = routes.computeIfAbsent(subscription, key -> new Route<>());
      synchronized (route) {
        if (route.retired) {
          continue; // Its last subscriber left while we waited; take the fresh one.
        }
        if (!route.bound) {
          try {
            binder.bind(subscription);
          } catch (RuntimeException e) {
            if (route.subscribers.isEmpty()) {
              route.retired = true;
              routes.remove(subscription, route);
            }
            throw e;
          }
          route.bound = true;
        }
        route.subscribers.add(subscriber);
        return;
      }
    }
  }

  /** Removes {@code subscriber}, unbinding when it was the last. False if it was not there. */
  boolean remove(Subscription subscription, S subscriber) {
    Route<S> route = routes.get(subscription);
    if (route == null) {
      return false;
    }
    synchronized (route) {
      boolean removed = route.subscribers.remove(subscriber);
      if (route.subscribers.isEmpty() && !route.retired) {
        // Unbind while the route is still in the map: see the class comment.
        try {
          if (route.bound) {
            route.bound = false;
            binder.unbind(subscription);
          }
        } finally {
          route.retired = true;
          routes.remove(subscription, route);
        }
      }
      return removed;
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

  /** The local subscribers of one (exchange, routing key) and whether the node queue is bound. */
  private static final class Route<S> {
    final Set<S> subscribers = ConcurrentHashMap.newKeySet();
    boolean bound; // guarded by this
    boolean retired; // guarded by this
  }
}
