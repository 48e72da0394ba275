package io.myxi.broker;

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

  /** True while the broker is reachable. */
  boolean isConnected();

  /** A short description for logs and status pages, with no secrets. */
  String describe();

  /** Closes connections and deletes node queues. Safe to call twice. */
  @Override
  void close();
}
