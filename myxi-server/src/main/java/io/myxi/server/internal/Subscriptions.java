package io.myxi.server.internal;

import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions' subscriptions on this node: asks the exchanges' authorizers, keeps each session's
 * set and the {@link RouteTable} in step, and binds the node queue through it.
 *
 * <p>Thread-safe. {@link #add} and {@link #remove} for one session run in that session's lane
 * (they may block on the broker); {@link #subscribers} is the fan-out's lock-free read.
 */
final class Subscriptions implements RouteTable.Binder {
  private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);
  /** Subscriptions sorted by exchange, then key: the order replies and revocations come in. */
  static final Comparator<Subscription> ORDER = Comparator.comparing(Subscription::exchange).thenComparing(Subscription::routingKey);

  private final Myxi myxi;
  private final NodeEvents events;
  private final Duration bindTimeout;
  private final RouteTable<SessionImpl> routes = new RouteTable<>(this);
  private volatile NodeQueue nodeQueue;

  Subscriptions(Myxi myxi, NodeEvents events, Duration bindTimeout) {
    this.myxi = myxi;
    this.events = events;
    this.bindTimeout = bindTimeout;
  }

  /** The node queue to bind; set once the node started. */
  void useQueue(NodeQueue queue) {
    this.nodeQueue = queue;
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
    routes.add(subscription, session);
    session.addSubscription(subscription);
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
    ExchangeDefinition exchange = myxi.exchange(subscription.exchange()).orElseThrow(() -> new BrokerException("unknown exchange"));
    currentQueue().bind(exchange.brokerName(), subscription.routingKey(), bindTimeout);
    events.bindingAdded(exchange.brokerName(), subscription.routingKey());
  }

  @Override
  public void unbind(Subscription subscription) {
    var exchange = myxi.exchange(subscription.exchange());
    if (exchange.isPresent()) {
      currentQueue().unbind(exchange.get().brokerName(), subscription.routingKey());
      events.bindingRemoved(exchange.get().brokerName(), subscription.routingKey());
    }
  }

  private NodeQueue currentQueue() {
    NodeQueue queue = nodeQueue;
    if (queue == null) {
      throw new BrokerException("node is not started");
    }
    return queue;
  }
}
