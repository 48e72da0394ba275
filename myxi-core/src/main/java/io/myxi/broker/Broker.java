package io.myxi.broker;

import io.myxi.Retention;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
   * Publishes one event body without waiting: the future completes when the broker has accepted
   * it, or exceptionally with a {@link BrokerException} for the same reasons as {@link #publish},
   * at the latest when {@code timeout} has passed. Stages chained without an executor must not
   * block (they may run on a thread of the broker). The default runs {@link #publish} on the
   * common pool; implementations publish without a thread per call.
   */
  default CompletableFuture<Void> publishAsync(String exchange, String routingKey, byte[] body, Duration timeout) {
    return CompletableFuture.runAsync(() -> publish(exchange, routingKey, body, timeout));
  }

  /**
   * Publishes several event bodies in this order, without waiting: the future completes when the
   * broker has accepted every one, or exceptionally with the first {@link BrokerException}, at the
   * latest when {@code timeout} has passed. After a failure some of the events may have been
   * published: the others are not taken back. The default publishes each with {@link #publishAsync}.
   */
  default CompletableFuture<Void> publishBatch(List<Message> messages, Duration timeout) {
    return CompletableFuture.allOf(messages.stream()
        .map(message -> publishAsync(message.exchange(), message.routingKey(), message.body(), timeout))
        .toArray(CompletableFuture[]::new));
  }

  /** One event body to publish: its broker exchange name (prefix included) and routing key. */
  record Message(String exchange, String routingKey, byte[] body) {
    public Message {
      Objects.requireNonNull(exchange, "exchange");
      Objects.requireNonNull(routingKey, "routingKey");
      Objects.requireNonNull(body, "body");
    }
  }

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
   * {@link #publishToHistory} without waiting: the future completes on the broker's confirm, or
   * exceptionally with a {@link BrokerException}. The default publishes synchronously.
   */
  default CompletableFuture<Void> publishToHistoryAsync(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    try {
      publishToHistory(stream, retention, routingKey, body, timeout);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
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
