package io.myxi.broker.internal;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.broker.BrokerException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher's own connection, opened on demand on the publishing thread, to the first of the
 * broker's addresses that accepts. After a failed attempt, publishes fail at once for a short while
 * (growing with each failure) instead of each trying again. Tracks whether RabbitMQ blocks it.
 */
final class PublishingConnection {
  // Logged as the publisher's: one place for everything about publishing.
  private static final Logger log = LoggerFactory.getLogger(Publisher.class);

  private final ConnectionFactory factory;
  private final BrokerAddresses addresses;
  private final String connectionName;
  private final String description;
  private final PublishBlocking blocking;
  private final Backoff connectBackoff; // publishing thread only
  private volatile Connection connection; // opened on the publishing thread only, read anywhere
  private volatile boolean closed;
  private long nextConnectAttempt; // publishing thread only
  private String lastFailure = "not connected yet"; // publishing thread only

  PublishingConnection(ConnectionFactory factory, RabbitMqSettings settings, PublishBlocking blocking) {
    this.factory = factory;
    this.addresses = settings.addresses();
    this.connectionName = settings.connectionName() + "-publisher";
    this.description = settings.description();
    this.blocking = blocking;
    this.connectBackoff = Backoff.withoutJitter(settings.initialRecoveryDelay(), settings.maxRecoveryDelay());
  }

  boolean isOpen() {
    Connection current = connection;
    return current != null && current.isOpen();
  }

  /** The broker node ({@code host:port}), or null while it is not open. */
  String currentAddress() {
    Connection current = connection;
    return current != null && current.isOpen() ? AmqpSupport.addressOf(current) : null;
  }

  /** The open connection, opened now if needed. Publishing thread only. */
  Connection get() {
    Connection current = connection;
    if (current != null && current.isOpen()) {
      return current;
    }
    long now = System.nanoTime();
    if (now < nextConnectAttempt) {
      throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastFailure + ")");
    }
    try {
      // To the first of the broker's addresses that accepts: after a loss, a surviving cluster node.
      Connection fresh = addresses.connect(factory, connectionName);
      fresh.addBlockedListener(new BlockedListener() {
        @Override
        public void handleBlocked(String reason) {
          blocking.blocked(reason);
          log.warn("RabbitMQ is blocking publishers: {}", reason);
        }

        @Override
        public void handleUnblocked() {
          blocking.unblocked();
          log.info("RabbitMQ is accepting publishers again");
        }
      });
      fresh.addShutdownListener(cause -> blocking.unblocked());
      blocking.unblocked();
      connection = fresh;
      connectBackoff.reset();
      log.info("Publishing to RabbitMQ at {} (node {})", description, AmqpSupport.addressOf(fresh));
      if (closed) {
        AmqpSupport.abortQuietly(fresh);
        throw new BrokerException("RabbitMQ broker is closed");
      }
      return fresh;
    } catch (IOException | TimeoutException e) {
      lastFailure = AmqpSupport.rootMessage(e);
      nextConnectAttempt = now + TimeUnit.MILLISECONDS.toNanos(connectBackoff.nextDelayMillis());
      throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastFailure + ")", e);
    }
  }

  /** Aborts it; a connection opened meanwhile is aborted as it opens. */
  void close() {
    closed = true;
    Connection current = connection;
    connection = null;
    if (current != null) {
      AmqpSupport.abortQuietly(current);
    }
  }
}
