package io.myxi.server.internal;

import io.myxi.Session;
import io.myxi.server.ActionOutcome;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.DropReason;
import io.myxi.server.NodeListener;
import io.myxi.server.SessionCloseReason;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the engine reports what happens: the node's own counters ({@link Stats}) and the
 * application's {@link NodeListener}. Keeps the listener's contract on the node's side: whatever
 * the listener throws is caught here and logged once.
 *
 * <p>Thread-safe; called from every engine thread. Frames sent are counted by the sessions
 * directly (the per-frame path has no listener call).
 */
final class NodeEvents {
  private static final Logger log = LoggerFactory.getLogger(NodeEvents.class);

  private final Stats stats = new Stats();
  private final NodeListener listener;
  private final AtomicBoolean failureLogged = new AtomicBoolean();

  NodeEvents(NodeListener listener) {
    this.listener = listener;
  }

  Stats stats() {
    return stats;
  }

  void sessionOpened(Session session) {
    try {
      listener.sessionOpened(session);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("sessionOpened", e);
    }
  }

  /**
   * The node decided to close a session for {@code reason}: counted now, while the close itself
   * may take a while (a slow consumer's close frame waits behind its backlog).
   */
  void closeDecided(SessionCloseReason reason) {
    if (reason.byNode()) {
      Stats.count(stats.closes, reason.key());
    }
  }

  void sessionClosed(Session session, SessionCloseReason reason) {
    try {
      listener.sessionClosed(session, reason);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("sessionClosed", e);
    }
  }

  void connectionRefused(ConnectionRefusal reason) {
    Stats.count(stats.closes, reason.key());
    try {
      listener.connectionRefused(reason);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("connectionRefused", e);
    }
  }

  void deliveryDropped(String exchange, String routingKey, DropReason reason) {
    Stats.count(stats.deliveriesDropped, reason.key());
    try {
      listener.deliveryDropped(exchange, routingKey, reason);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("deliveryDropped", e);
    }
  }

  void errorSent(String code) {
    Stats.count(stats.errorsSent, code);
  }

  void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {
    try {
      listener.actionRun(session, action, outcome, durationNanos);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("actionRun", e);
    }
  }

  void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {
    try {
      listener.authorizationRun(session, exchange, routingKey, allowed, durationNanos);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("authorizationRun", e);
    }
  }

  void bindingAdded(String exchange, String routingKey) {
    try {
      listener.bindingAdded(exchange, routingKey);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("bindingAdded", e);
    }
  }

  void bindingRemoved(String exchange, String routingKey) {
    try {
      listener.bindingRemoved(exchange, routingKey);
    } catch (RuntimeException | LinkageError e) {
      listenerFailed("bindingRemoved", e);
    }
  }

  private void listenerFailed(String method, Throwable e) {
    if (failureLogged.compareAndSet(false, true)) {
      log.error("NodeListener {} threw from {}; its exceptions are ignored (logged only this once)", listener.getClass().getName(), method, e);
    }
  }
}
