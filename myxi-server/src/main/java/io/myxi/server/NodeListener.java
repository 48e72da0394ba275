package io.myxi.server;

import io.myxi.Session;

/**
 * Observes one node: sessions, refused connections, dropped deliveries, actions, authorizations
 * and bindings. For metrics, logs and traces; register one with {@link
 * MyxiServer.Builder#listener(NodeListener)}. Every method has an empty default: override what
 * you need.
 *
 * <p><b>Contract.</b> Methods are called on the node's own threads (the WebSocket library's
 * selector and decoder threads, the worker threads that run actions, the broker's dispatch thread
 * that fans events out, the node's timer thread), often while a client or a whole broadcast
 * waits. An implementation must therefore be fast, must not block or take locks that other
 * threads hold for long (counters such as {@code LongAdder} or Micrometer meters are fine), and
 * must not throw. An exception it throws anyway is caught and logged (once per listener, to keep
 * a broken listener from flooding the log); the node carries on as if it had returned.
 *
 * <p>Calls for one session come in the session's order for what happens in its lane ({@link
 * #actionRun}, {@link #authorizationRun}); events from different threads (a session closed by the
 * peer while a delivery is dropped) may interleave in any order. Session arguments may be used to
 * read the session's id, address and auth, not to block on it.
 *
 * <p>Reason enums are exhaustive: metrics that count every value of an enum never miss a reason
 * added later.
 */
public interface NodeListener {
  /** The listener that does nothing. */
  NodeListener NONE = new NodeListener() {};

  /** A WebSocket handshake completed and the node accepted the connection as a session. */
  default void sessionOpened(Session session) {}

  /** A session ended; its subscriptions are being removed. Called once per opened session. */
  default void sessionClosed(Session session, SessionCloseReason reason) {}

  /** A connection was refused before it became a session. */
  default void connectionRefused(ConnectionRefusal reason) {}

  /**
   * A delivery from the broker did not reach a session: dropped for every subscriber (reasons
   * other than {@link DropReason#SLOW_CONSUMER}) or for one session closed as a slow consumer.
   *
   * @param exchange the broker's exchange name (with the exchange prefix)
   */
  default void deliveryDropped(String exchange, String routingKey, DropReason reason) {}

  /**
   * A built-in or registered action ran (or was refused) for a session. Unknown action names are
   * not reported: they are client input.
   *
   * @param durationNanos time spent in the action, 0 when it was refused before running
   */
  default void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {}

  /** An exchange's authorizer decided a subscription (at Subscribe or at re-authorization). */
  default void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {}

  /** The node queue was bound to (exchange, routing key): its first local subscriber. */
  default void bindingAdded(String exchange, String routingKey) {}

  /** The node queue was unbound from (exchange, routing key): its last local subscriber left. */
  default void bindingRemoved(String exchange, String routingKey) {}
}
