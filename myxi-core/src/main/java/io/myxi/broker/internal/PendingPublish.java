package io.myxi.broker.internal;

import io.myxi.Retention;
import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * One message on its way: completed by the broker's ack or nack, by a failure, or at the deadline.
 * {@link #channel} and {@link #seqNo} tell where it waits for its confirm (the publishing thread
 * writes them).
 */
final class PendingPublish {
  final Broker.Message message;
  /** Non-null for an event of a history exchange: {@code message.exchange()} is then the stream. */
  final Retention history;
  /** The tag of the last publish of a history event, to recognise it when the broker returns it. */
  volatile String messageId;
  /** Set by the client's connection thread when the broker returned it (before its confirm). */
  volatile boolean returned;
  final long deadline;
  final Duration timeout;
  /** Completed by the broker's ack or nack, a failure, or (with a TimeoutException) at the deadline. */
  final CompletableFuture<Void> result = new CompletableFuture<>();
  /** What callers see: the result, with every failure as a BrokerException. */
  final CompletableFuture<Void> outcome;
  volatile ConfirmChannel channel;
  volatile long seqNo;
  volatile boolean retried;
  /** Non-null for a packed message: its properties (type, CC); else the publisher's defaults. */
  final com.rabbitmq.client.AMQP.BasicProperties properties;
  private final PublishBlocking blocking;

  PendingPublish(Broker.Message message, long deadline, Duration timeout, Retention history, PublishBlocking blocking) {
    this(message, deadline, timeout, history, null, blocking);
  }

  PendingPublish(Broker.Message message, long deadline, Duration timeout, Retention history,
      com.rabbitmq.client.AMQP.BasicProperties properties, PublishBlocking blocking) {
    this.message = message;
    this.properties = properties;
    this.history = history;
    this.deadline = deadline;
    this.timeout = timeout;
    this.blocking = blocking;
    outcome = result.handle((ignored, error) -> {
      if (error == null) {
        return null;
      }
      forget();
      throw new CompletionException(asBrokerException(error));
    });
  }

  private BrokerException asBrokerException(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof BrokerException brokerException) {
      return brokerException;
    }
    if (cause instanceof TimeoutException) {
      return new BrokerException(blocking.noConfirmMessage(timeout));
    }
    return new BrokerException("publish failed: " + AmqpSupport.rootMessage(cause), cause);
  }

  /** No confirm expected any more (failed or timed out): drop it from its channel's table. */
  private void forget() {
    ConfirmChannel waitingOn = channel;
    if (waitingOn != null) {
      waitingOn.unconfirmed.remove(seqNo, this);
    }
  }

  void expire() {
    result.completeExceptionally(new TimeoutException());
  }

  void confirmed() {
    result.complete(null);
  }

  void fail(BrokerException e) {
    result.completeExceptionally(e);
  }
}
