package io.myxi.spring.boot;

import io.myxi.Session;
import io.myxi.server.ActionOutcome;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.DropReason;
import io.myxi.server.NodeListener;
import io.myxi.server.SessionCloseReason;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link NodeListener} bean as the node's one listener. Each call goes to each listener in
 * turn; one that throws is logged once and does not keep the others from being called.
 */
final class NodeListeners implements NodeListener {
  private static final Logger log = LoggerFactory.getLogger(NodeListeners.class);

  private final List<NodeListener> listeners;
  private final Set<NodeListener> failed = ConcurrentHashMap.newKeySet();

  NodeListeners(List<NodeListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  private void each(Consumer<NodeListener> call) {
    for (NodeListener listener : listeners) {
      try {
        call.accept(listener);
      } catch (RuntimeException e) {
        if (failed.add(listener)) {
          log.warn("Node listener {} threw; further failures of it are not logged", listener.getClass().getName(), e);
        }
      }
    }
  }

  @Override
  public void sessionOpened(Session session) {
    each(listener -> listener.sessionOpened(session));
  }

  @Override
  public void sessionClosed(Session session, SessionCloseReason reason) {
    each(listener -> listener.sessionClosed(session, reason));
  }

  @Override
  public void connectionRefused(ConnectionRefusal reason) {
    each(listener -> listener.connectionRefused(reason));
  }

  @Override
  public void deliveryDropped(String exchange, String routingKey, DropReason reason) {
    each(listener -> listener.deliveryDropped(exchange, routingKey, reason));
  }

  @Override
  public void actionRun(Session session, String action, ActionOutcome outcome, long durationNanos) {
    each(listener -> listener.actionRun(session, action, outcome, durationNanos));
  }

  @Override
  public void authorizationRun(Session session, String exchange, String routingKey, boolean allowed, long durationNanos) {
    each(listener -> listener.authorizationRun(session, exchange, routingKey, allowed, durationNanos));
  }

  @Override
  public void bindingAdded(String exchange, String routingKey) {
    each(listener -> listener.bindingAdded(exchange, routingKey));
  }

  @Override
  public void bindingRemoved(String exchange, String routingKey) {
    each(listener -> listener.bindingRemoved(exchange, routingKey));
  }
}
