package io.myxi.server.internal;

import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions' subscriptions on this node: asks the exchanges' authorizers, keeps each session's
 * set and the {@link RouteTable} in step, and binds the node queue through it.
 *
 * <p>Thread-safe. {@link #add} and {@link #remove} for one session run in that session's lane
 * (adding waits for the broker's confirmation); the broker itself is talked to only by the {@link
 * BindingWriter}'s thread. {@link #subscribers} is the fan-out's lock-free read.
 */
final class Subscriptions implements RouteTable.Binder {
  private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);
  /** Subscriptions sorted by exchange, then key: the order replies and revocations come in. */
  static final Comparator<Subscription> ORDER = Comparator.comparing(Subscription::exchange).thenComparing(Subscription::routingKey);

  private final Myxi myxi;
  private final NodeEvents events;
  private final RouteTable<SessionImpl> routes;
  private final BindingWriter writer;

  Subscriptions(Myxi myxi, NodeEvents events, Duration bindTimeout, int maxBindings) {
    this.myxi = myxi;
    this.events = events;
    this.routes = new RouteTable<>(this, maxBindings);
    this.writer = new BindingWriter(bindTimeout);
  }

  /** The node queue to bind; set once the node started. */
  void useQueue(NodeQueue queue) {
    writer.useQueue(queue);
  }

  /** Stops the binding thread. */
  void close() {
    writer.close();
  }

  /** Whether the exchange's authorizer allows the key; an authorizer that throws denies. */
  boolean authorize(SessionImpl session, ExchangeDefinition exchange, String routingKey) {
    long start = System.nanoTime();
    boolean allowed = false;
    try {
      allowed = exchange.authorizer().authorize(session, routingKey);
    } catch (Exception | LinkageError e) {
      String errorId = Ids.randomHex(6);
      log.error("Authorizer of exchange {} threw for session {} and key {}; denied [error id {}]", exchange.name(), session.id(), Ids.printable(routingKey), errorId, e);
    }
    events.authorizationRun(session, exchange.name(), routingKey, allowed, System.nanoTime() - start);
    return allowed;
  }

  /** Adds the subscription, binding the node queue if it is the route's first. */
  void add(SessionImpl session, Subscription subscription) {
    RuntimeException failure = addAll(session, List.of(subscription)).join().get(subscription);
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Adds the subscriptions (distinct, none held by the session), binding those that are their
   * route's first in one batch. Binds are charged to the session's bind rate; keys past it, or past
   * the node's binding cap, fail with a {@link RouteTable.LimitException}.
   *
   * @return completes once the broker answered, with the subscriptions not added and why
   */
  CompletableFuture<Map<Subscription, RuntimeException>> addAll(SessionImpl session, List<Subscription> subscriptions) {
    return routes.addAll(subscriptions, session, needed -> session.bindLimiter().acquireUpTo(System.nanoTime(), needed)).thenApply(failures -> {
      for (Subscription subscription : subscriptions) {
        if (!failures.containsKey(subscription)) {
          session.addSubscription(subscription);
        }
      }
      return failures;
    });
  }

  /** Routes bound now. */
  int boundCount() {
    return routes.boundCount();
  }

  /** Removes the subscription, unbinding when it was the route's last. False if not subscribed. */
  boolean remove(SessionImpl session, Subscription subscription) {
    if (!session.removeSubscription(subscription)) {
      return false;
    }
    routes.remove(subscription, session);
    return true;
  }

  /** Removes every subscription of a closed session. */
  void removeAll(SessionImpl session) {
    for (Subscription subscription : List.copyOf(session.liveSubscriptions())) {
      remove(session, subscription);
    }
  }

  /** The local subscribers of a subscription, or null if none: see {@link RouteTable#subscribers}. */
  Set<SessionImpl> subscribers(Subscription subscription) {
    return routes.subscribers(subscription);
  }

  static List<Subscription> sorted(Set<Subscription> subscriptions) {
    List<Subscription> list = new ArrayList<>(subscriptions);
    list.sort(ORDER);
    return list;
  }

  @Override
  public void bind(Subscription subscription) {
    RuntimeException failure = bindAllAsync(List.of(subscription)).join().get(subscription);
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public Map<Subscription, RuntimeException> bindAll(List<Subscription> subscriptions) {
    return bindAllAsync(subscriptions).join();
  }

  /** Sends the binds through the binding thread; completes once the broker answered them. */
  @Override
  public CompletableFuture<Map<Subscription, RuntimeException>> bindAllAsync(List<Subscription> subscriptions) {
    Map<Subscription, RuntimeException> failures = new LinkedHashMap<>();
    List<Subscription> known = new ArrayList<>(subscriptions.size());
    List<NodeQueue.Change> changes = new ArrayList<>(subscriptions.size());
    for (Subscription subscription : subscriptions) {
      var exchange = myxi.exchange(subscription.exchange());
      if (exchange.isEmpty()) {
        failures.put(subscription, new BrokerException("unknown exchange"));
      } else {
        known.add(subscription);
        changes.add(new NodeQueue.Change(exchange.get().brokerName(), subscription.routingKey(), true));
      }
    }
    return writer.bindAll(changes).thenApply(results -> {
      for (int i = 0; i < known.size(); i++) {
        if (results.get(i) != null) {
          failures.put(known.get(i), results.get(i));
        } else {
          events.bindingAdded(changes.get(i).exchange(), changes.get(i).routingKey());
        }
      }
      return failures;
    });
  }

  /** Queues the unbind: the binding thread sends it before any later bind of the same key. */
  @Override
  public void unbind(Subscription subscription) {
    var exchange = myxi.exchange(subscription.exchange());
    if (exchange.isPresent()) {
      writer.unbind(exchange.get().brokerName(), subscription.routingKey());
      events.bindingRemoved(exchange.get().brokerName(), subscription.routingKey());
    }
  }
}
