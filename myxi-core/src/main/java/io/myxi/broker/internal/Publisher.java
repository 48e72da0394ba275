package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.myxi.Retention;
import io.myxi.broker.BrokerException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events with publisher confirms on a connection of its own (the configured name plus
 * {@code -publisher}), opened on the first publish. Publishing has its own connection because
 * RabbitMQ stops reading from a connection that publishes during a resource alarm: sharing one
 * would stall the node's deliveries, acknowledgements and bindings too.
 *
 * <p>Threads: AMQP calls such as opening a channel wait up to the client's RPC timeout whatever
 * the caller's bound, and a blocked connection does not answer them. So every AMQP call runs on
 * the one publishing thread, and callers wait for it at most their timeout. The fields marked
 * "publishing thread only" are confined to it; {@link #blockedReason} is written by the client's
 * connection thread and read anywhere.
 *
 * <p>The declared-exchange cache belongs to the confirm channel: when the broker closes the channel
 * with 404 (the exchange was deleted) or the connection is replaced (a restarted broker may have
 * lost it), the next channel declares every exchange again, and a publish refused with 404 is
 * tried once more, since the event reached nobody.
 */
public final class Publisher {
  private static final Logger log = LoggerFactory.getLogger(Publisher.class);
  private static final AMQP.BasicProperties JSON_PROPERTIES = new AMQP.BasicProperties.Builder()
      .contentType("application/json")
      .contentEncoding("utf-8")
      .deliveryMode(1)
      .build();

  private final ConnectionFactory factory;
  private final String connectionName;
  private final String description;
  private final ExecutorService publishThread;
  /** Closes discarded channels, which waits for the broker, off the publishing thread. */
  private final ExecutorService closer;
  private final AtomicBoolean closed = new AtomicBoolean();

  private volatile Connection connection; // opened on the publishing thread only, read anywhere
  private volatile String blockedReason; // written by the client's connection thread
  private final DeclaredExchanges declaredExchanges; // publishing thread only
  private final java.util.Set<String> declaredStreams = new java.util.HashSet<>(); // publishing thread only
  private Connection declaredStreamsOn; // publishing thread only
  /** Set by the client's connection thread when the broker returns an event; it does so before the confirm. */
  private volatile boolean returned;
  private final Backoff connectBackoff; // publishing thread only
  private Channel channel; // publishing thread only
  private long nextConnectAttempt; // publishing thread only
  private String lastFailure = "not connected yet"; // publishing thread only

  public Publisher(ConnectionFactory factory, RabbitMqSettings settings) {
    this.factory = factory;
    this.connectionName = settings.connectionName() + "-publisher";
    this.description = settings.description();
    this.declaredExchanges = new DeclaredExchanges(settings.exchangeDurable(), settings.exchangeAutoDelete());
    this.connectBackoff = Backoff.withoutJitter(settings.initialRecoveryDelay(), settings.maxRecoveryDelay());
    this.publishThread = Executors.newSingleThreadExecutor(AmqpSupport.daemonThreads("myxi-amqp-publish"));
    // Idle threads end after a minute, so closing channels in the background creates no lasting threads.
    this.closer = new ThreadPoolExecutor(0, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), AmqpSupport.daemonThreads("myxi-amqp-closer"));
  }

  /** One way of sending an event on the confirm channel (declaring what it needs first). */
  @FunctionalInterface
  private interface Send {
    void on(Channel channel) throws IOException;
  }

  /** See {@link io.myxi.broker.Broker#publish}. */
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    publish(exchange, channel -> {
      declaredExchanges.declare(channel, exchange);
      channel.basicPublish(exchange, routingKey, false, JSON_PROPERTIES, body);
    }, timeout);
  }

  /**
   * See {@link io.myxi.broker.Broker#publishToHistory}: to the default exchange, routed to the
   * stream by its name, declared once per channel.
   */
  public void publishToHistory(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    publish(stream, channel -> {
      if (declaredStreamsOn != channel.getConnection()) {
        declaredStreams.clear(); // A restarted broker may have lost them.
        declaredStreamsOn = channel.getConnection();
      }
      if (!declaredStreams.contains(stream)) {
        HistoryStreams.declare(channel.getConnection(), stream, retention);
        declaredStreams.add(stream);
      }
      // Mandatory: if the stream was deleted behind our back, the broker returns the event
      // (before confirming it) instead of dropping it, and it is published again after declaring.
      channel.basicPublish("", stream, true, HistoryStreams.properties(routingKey), body);
    }, timeout);
  }

  private void publish(String target, Send send, Duration timeout) {
    if (closed.get()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    failIfBlocked();
    Future<?> done;
    try {
      done = publishThread.submit(() -> {
        publishNow(target, send, deadline, timeout);
        return null;
      });
    } catch (RejectedExecutionException e) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    try {
      done.get(Math.max(0, remainingNanos(deadline)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      done.cancel(false);
      throw new BrokerException(noConfirmMessage(timeout));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BrokerException brokerException) {
        throw brokerException;
      }
      throw new BrokerException("publish failed: " + AmqpSupport.rootMessage(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done.cancel(false);
      throw new BrokerException("interrupted while publishing", e);
    }
  }

  public boolean isConnected() {
    Connection current = connection;
    return current != null && current.isOpen();
  }

  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    publishThread.shutdownNow();
    closer.shutdown();
    Connection current = connection;
    connection = null;
    if (current != null) {
      AmqpSupport.abortQuietly(current);
    }
  }

  private void failIfBlocked() {
    if (blockedReason != null) {
      throw new BrokerException(blockedMessage());
    }
  }

  private String blockedMessage() {
    return "RabbitMQ is blocking publishers (" + blockedReason + ")";
  }

  private String noConfirmMessage(Duration timeout) {
    return blockedReason != null ? blockedMessage() : "no confirm within " + timeout.toMillis() + " ms";
  }

  // Publishing thread only.
  private void publishNow(String target, Send send, long deadline, Duration timeout) {
    for (int attempt = 1; ; attempt++) {
      if (remainingNanos(deadline) <= 0) {
        throw new BrokerException("no confirm within " + timeout.toMillis() + " ms (publishers queued)");
      }
      failIfBlocked();
      Channel current = confirmChannel();
      returned = false;
      try {
        send.on(current);
        // Not waitForConfirmsOrDie: on a timeout it closes the channel and waits for the broker to
        // agree, which a blocked broker never does in time.
        if (!current.waitForConfirms(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos(deadline))))) {
          throw new BrokerException("RabbitMQ refused the event (basic.nack)");
        }
        if (returned) {
          returned = false;
          declaredStreams.clear();
          if (attempt == 1) {
            log.info("{} is gone on RabbitMQ (event returned); declaring it again", target);
            continue;
          }
          throw new BrokerException("RabbitMQ could not route the event to " + target);
        }
        return;
      } catch (TimeoutException e) {
        discardChannel();
        throw new BrokerException(noConfirmMessage(timeout), e);
      } catch (IOException | ShutdownSignalException | InterruptedException e) {
        discardChannel();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        } else if (attempt == 1 && AmqpSupport.isNotFound(e)) {
          // The exchange was deleted behind our back: nobody received the event, so declaring the
          // exchange again on a new channel and publishing once more duplicates nothing.
          log.info("{} is gone on RabbitMQ ({}); declaring it again", target, AmqpSupport.rootMessage(e));
          continue;
        }
        throw new BrokerException("publish failed: " + AmqpSupport.rootMessage(e), e);
      }
    }
  }

  // Publishing thread only.
  private Channel confirmChannel() {
    Connection current = connection();
    Channel existing = channel;
    if (existing != null && existing.isOpen() && existing.getConnection() == current) {
      return existing;
    }
    try {
      Channel fresh = current.createChannel();
      fresh.confirmSelect();
      fresh.addReturnListener(returnedMessage -> returned = true);
      channel = fresh;
      declaredExchanges.clear(); // A new channel may be on a new connection to a restarted broker.
      return fresh;
    } catch (IOException | ShutdownSignalException e) {
      throw new BrokerException("publish failed: " + AmqpSupport.rootMessage(e), e);
    }
  }

  /**
   * The publishing connection, opened on demand. After a failed attempt, publishes fail at once
   * for a short while (growing with each failure) instead of each trying again. Publishing thread only.
   */
  private Connection connection() {
    Connection current = connection;
    if (current != null && current.isOpen()) {
      return current;
    }
    long now = System.nanoTime();
    if (now < nextConnectAttempt) {
      throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastFailure + ")");
    }
    try {
      Connection fresh = factory.newConnection(connectionName);
      fresh.addBlockedListener(new BlockedListener() {
        @Override
        public void handleBlocked(String reason) {
          blockedReason = reason;
          log.warn("RabbitMQ is blocking publishers: {}", reason);
        }

        @Override
        public void handleUnblocked() {
          blockedReason = null;
          log.info("RabbitMQ is accepting publishers again");
        }
      });
      fresh.addShutdownListener(cause -> blockedReason = null);
      blockedReason = null;
      connection = fresh;
      connectBackoff.reset();
      if (closed.get()) {
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

  /**
   * A channel with confirms still outstanding would answer for them on the next publish: drop it,
   * and the exchanges declared on it. Closing waits for the broker, so it happens off the
   * publishing thread. Publishing thread only.
   */
  private void discardChannel() {
    Channel discarded = channel;
    channel = null;
    declaredExchanges.clear();
    if (discarded != null && discarded.isOpen()) {
      try {
        closer.execute(() -> AmqpSupport.abortQuietly(discarded));
      } catch (RejectedExecutionException closing) {
        // Closing: the connection goes with it.
      }
    }
  }

  private static long remainingNanos(long deadline) {
    return deadline - System.nanoTime();
  }
}
