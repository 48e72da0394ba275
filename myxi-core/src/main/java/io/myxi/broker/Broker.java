package io.myxi.broker;

import io.myxi.Retention;
import java.time.Duration;

/**
 * Carries events from publishers to nodes. Implementations: {@link RabbitMqBroker} for many nodes
 * and processes, {@link InProcessBroker} for one JVM. Both pass the same contract test suite.
 *
 * <p>Implementations are thread-safe. Exchange names given here are broker names (prefix included).
 */
public interface Broker extends AutoCloseable {
  /**
   * Publishes one event body to {@code exchange} with {@code routingKey} and waits until the broker
   * has accepted it, at most {@code timeout}. Never blocks longer than that.
   *
   * @throws BrokerException not connected, blocked by a resource alarm, refused, or no confirm in time
   */
  void publish(String exchange, String routingKey, byte[] body, Duration timeout);

  /**
   * Opens the single queue of one node. Events of the (exchange, routing key) pairs bound on it go
   * to {@code listener}. The broker keeps the queue and its bindings across reconnections.
   */
  NodeQueue openNodeQueue(NodeQueue.Listener listener);

  /**
   * Whether this broker can keep exchanges' history (RabbitMQ streams). When it cannot, exchanges
   * with history behave as exchanges without: events are delivered live only.
   */
  default boolean supportsHistory() {
    return false;
  }

  /**
   * Stores one event in the history stream {@code stream} (declaring it with {@code retention}
   * if it does not exist) and waits for the broker's confirm, at most {@code timeout}. Nodes read
   * the stream, so this one publish reaches every subscriber.
   *
   * @throws BrokerException as {@link #publish}
   */
  default void publishToHistory(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    throw new BrokerException(describe() + " keeps no history");
  }

  /**
   * Starts reading {@code stream} live, from its end, for one node; the feed resumes where it
   * left off after a broker fault.
   */
  default HistoryFeed openHistoryFeed(String stream, Retention retention, HistoryFeed.Listener listener) {
    throw new BrokerException(describe() + " keeps no history");
  }

  /**
   * Opens a sequential read of {@code stream} from {@code fromOffset}.
   *
   * @throws BrokerException not connected
   */
  default HistoryCursor openHistoryCursor(String stream, long fromOffset) {
    throw new BrokerException(describe() + " keeps no history");
  }

  /** True while the broker is reachable. */
  boolean isConnected();

  /** A short description for logs and status pages, with no secrets. */
  String describe();

  /** Closes connections and deletes node queues. Safe to call twice. */
  @Override
  void close();
}
