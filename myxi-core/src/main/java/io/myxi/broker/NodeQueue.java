package io.myxi.broker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The one queue of a node, bound to every (exchange, routing key) pair that at least one of the
 * node's sessions is subscribed to. The caller (the node) counts subscribers and calls
 * {@link #bind} and {@link #unbind} only when a pair gains its first or loses its last one.
 *
 * <p>Thread-safe. The bindings are remembered: after a lost connection the queue is declared again
 * (possibly with a new name) and every remembered binding is restored before
 * {@link Listener#onRecovered} is called.
 */
public interface NodeQueue extends AutoCloseable {
  /**
   * Binds the queue and returns once the broker confirmed the binding, so every event published
   * afterwards reaches the listener.
   *
   * @throws BrokerException not connected, or no confirmation within {@code timeout}; the binding
   *     is then not remembered
   */
  void bind(String exchange, String routingKey, Duration timeout);

  /** Removes a binding. Best effort while disconnected: it is simply not restored. */
  void unbind(String exchange, String routingKey);

  /**
   * Applies binds and unbinds in the order given, with the meaning of {@link #bind} and {@link
   * #unbind} called one after the other, but lets the implementation send them together: RabbitMQ
   * gets every bind of a run without waiting, then one synchronous barrier, so a batch costs one
   * round trip instead of one per key. Returns once every bind is confirmed or failed.
   *
   * @return one entry per change, in order: null when it succeeded (always for unbinds, which are
   *     best effort), else why the bind failed (and it is then not remembered)
   */
  default List<BrokerException> apply(List<Change> changes, Duration timeout) {
    List<BrokerException> results = new ArrayList<>(changes.size());
    for (Change change : changes) {
      BrokerException failure = null;
      if (change.bind()) {
        try {
          bind(change.exchange(), change.routingKey(), timeout);
        } catch (BrokerException e) {
          failure = e;
        }
      } else {
        unbind(change.exchange(), change.routingKey());
      }
      results.add(failure);
    }
    return results;
  }

  /** One binding to add ({@code bind}) or remove, for {@link #apply}. */
  record Change(String exchange, String routingKey, boolean bind) {}

  /** The remembered bindings, as {@code exchange + '\0' + routingKey}. */
  Set<String> bindings();

  /** The queue's current name on the broker, or null while disconnected. */
  String name();

  boolean isConnected();

  /** Unbinds everything and deletes the queue. Safe to call twice. */
  @Override
  void close();

  /** Receives deliveries and connection changes of a {@link NodeQueue}. */
  interface Listener {
    /**
     * One delivery. Called on the broker's delivering thread, one delivery at a time, in order: it
     * must not block. With RabbitMQ that thread is the connection's reader, which also reads the
     * answers to bindings: a listener that waited would hold those up too, and one that waited
     * for a binding would wait forever. An exception thrown here is logged and the delivery is dropped.
     */
    void onDelivery(String exchange, String routingKey, byte[] body);

    /**
     * One event of a larger message (a packed one): its body is the {@code length} bytes of {@code
     * buffer} from {@code offset}. The buffer is lent for the call only: a listener that keeps the
     * body must copy it. Same thread and rules as {@link #onDelivery(String, String, byte[])}, to
     * which the default passes a copy; a listener that only reads the body during the call saves
     * that copy by overriding this.
     */
    default void onDelivery(String exchange, String routingKey, byte[] buffer, int offset, int length) {
      onDelivery(exchange, routingKey, Arrays.copyOfRange(buffer, offset, offset + length));
    }

    /** The queue lost its broker connection; deliveries stop until {@link #onRecovered}. */
    default void onDisconnected(String reason) {}

    /**
     * The queue and all its bindings are back. Events published between {@code downSince} and
     * {@code upAt} may have been lost.
     */
    default void onRecovered(Instant downSince, Instant upAt) {}
  }
}
