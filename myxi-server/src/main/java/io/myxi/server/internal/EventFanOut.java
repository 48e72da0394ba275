package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import io.myxi.broker.NodeQueue;
import io.myxi.server.DropReason;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deliveries from the node queue to the sessions: each body is checked once and its frame built
 * once (a streaming pass and a byte splice, {@link EventFrames}), whatever the number of
 * subscribers, and the same bytes are queued to each of them.
 *
 * <p>Runs on the broker's delivering thread (with RabbitMQ, the connection's reader thread) and
 * never blocks: queuing a frame marks the connection for the socket writer thread (one wake-up per
 * broadcast, see the transport), or, for an event with few subscribers, writes it here when the
 * socket takes it at once (a non-blocking write).
 */
final class EventFanOut implements NodeQueue.Listener {
  private static final Logger log = LoggerFactory.getLogger(EventFanOut.class);
  /**
   * Up to this many subscribers, this thread writes an event to their sockets itself when they take
   * it at once (a per-user event: no wake-up of the socket writer, one hop less). A broadcast to
   * more goes to the socket writer: thousands of writes here would hold up the next deliveries.
   */
  static final int WRITE_NOW_MAX_SUBSCRIBERS = 4;

  private final Myxi myxi;
  private final ObjectMapper mapper;
  private final Subscriptions subscriptions;
  private final NodeEvents events;
  private final Stats stats;
  private final long maxBufferedBytes;
  private final String nodeId;
  private final Sessions sessions;
  private final java.util.function.Predicate<String> keepsHistory;
  /** Each registered exchange's name as it goes into every frame's {@code mq.e}, escaped once. */
  private final Map<String, byte[]> quotedExchanges = new ConcurrentHashMap<>();

  /** The sessions a node-wide event goes to. */
  interface Sessions {
    Collection<SessionImpl> open();
  }

  EventFanOut(Myxi myxi, Subscriptions subscriptions, NodeEvents events, long maxBufferedBytes, String nodeId, Sessions sessions,
      java.util.function.Predicate<String> keepsHistory) {
    this.keepsHistory = keepsHistory;
    this.myxi = myxi;
    this.mapper = myxi.objectMapper();
    this.subscriptions = subscriptions;
    this.events = events;
    this.stats = events.stats();
    this.maxBufferedBytes = maxBufferedBytes;
    this.nodeId = nodeId;
    this.sessions = sessions;
  }

  @Override
  public void onDelivery(String brokerExchange, String routingKey, byte[] body) {
    onDelivery(brokerExchange, routingKey, body, 0, body.length);
  }

  /** The body is read during the call only (an event of a packed message is not copied out of it). */
  @Override
  public void onDelivery(String brokerExchange, String routingKey, byte[] buffer, int offset, int length) {
    stats.deliveriesReceived.increment();
    Optional<ExchangeDefinition> exchange = myxi.exchangeByBrokerName(brokerExchange);
    if (exchange.isEmpty()) {
      drop(DropReason.UNKNOWN_EXCHANGE, brokerExchange, routingKey, length, "no exchange of that name is registered");
      return;
    }
    Subscription subscription = new Subscription(exchange.get().name(), routingKey);
    Set<SessionImpl> subscribers = subscriptions.subscribers(subscription);
    if (subscribers == null || subscribers.isEmpty()) {
      drop(DropReason.NO_SUBSCRIBERS, brokerExchange, routingKey, length, "no session of this node subscribes to it");
      return;
    }
    // An event larger than a session's whole output buffer could only close every subscriber as
    // a slow consumer; do not even parse it.
    if (length > maxBufferedBytes) {
      drop(DropReason.TOO_LARGE, brokerExchange, routingKey, length, "larger than the per-session buffer of " + maxBufferedBytes + " bytes");
      return;
    }
    byte[] frame = encodeEvent(brokerExchange, exchange.get().name(), routingKey, buffer, offset, length);
    if (frame == null) {
      return;
    }
    boolean writeNow = subscribers.size() <= WRITE_NOW_MAX_SUBSCRIBERS;
    for (SessionImpl session : subscribers) {
      session.sendEvent(frame, subscription, brokerExchange, writeNow);
    }
  }

  private void drop(DropReason reason, String brokerExchange, String routingKey, int bytes, String why) {
    events.deliveryDropped(brokerExchange, routingKey, reason);
    if (reason == DropReason.NO_SUBSCRIBERS) {
      // Also happens normally: events in flight while the last subscriber leaves.
      log.info("Dropped a delivery on {} / {} ({} bytes): {}", brokerExchange, routingKey, bytes, why);
    } else {
      log.warn("Dropped a delivery on {} / {} ({} bytes): {}", brokerExchange, routingKey, bytes, why);
    }
  }

  /**
   * Checks a broker body and builds the outgoing frame once, for every subscriber: one streaming
   * pass and a byte splice ({@link EventFrames}), no tree.
   */
  private byte[] encodeEvent(String brokerExchange, String exchange, String routingKey, byte[] buffer, int offset, int length) {
    byte[] quotedExchange = quotedExchanges.computeIfAbsent(exchange, EventFrames::quote);
    byte[] frame = EventFrames.frame(mapper.getFactory(), buffer, offset, length, quotedExchange, routingKey);
    if (frame == null) {
      drop(DropReason.INVALID_BODY, brokerExchange, routingKey, length, "the body is not {\"event\":..,\"payload\":..} JSON");
      return null;
    }
    stats.eventsEncoded.increment();
    return frame;
  }

  @Override
  public void onDisconnected(String reason) {
    log.warn("Node {} lost its broker connection ({}); subscriptions wait for recovery", nodeId, reason);
  }

  @Override
  public void onRecovered(Instant downSince, Instant upAt) {
    stats.recoveries.increment();
    ObjectNode payload = mapper.createObjectNode()
        .put("from", downSince.toEpochMilli())
        .put("to", upAt.toEpochMilli())
        .put("reason", "broker_connection_lost");
    byte[] frame;
    try {
      ObjectNode event = mapper.createObjectNode().put("event", Events.MISSED_EVENTS);
      event.set("payload", payload);
      frame = mapper.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    for (SessionImpl session : sessions.open()) {
      if (!onlyHistory(session)) {
        session.sendEncoded(frame);
      }
    }
  }

  /**
   * Whether every subscription of the session is on an exchange with history: the history feeds
   * resume by themselves after a fault, so such a session missed nothing it could be told about.
   */
  private boolean onlyHistory(SessionImpl session) {
    Set<Subscription> held = session.liveSubscriptions();
    if (held.isEmpty()) {
      return false;
    }
    for (Subscription subscription : held) {
      if (!keepsHistory.test(subscription.exchange())) {
        return false;
      }
    }
    return true;
  }
}
