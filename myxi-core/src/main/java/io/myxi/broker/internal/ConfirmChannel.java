package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.myxi.broker.BrokerException;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A confirm channel and the messages published on it that wait for their confirm, by sequence
 * number: acks and nacks (one or {@code multiple}) settle them, returns mark them. When it closes,
 * those fail; a message refused because its exchange was deleted behind our back reached nobody,
 * so it is published once more (the exchange is declared again on the next channel), as is nothing
 * else: whether the broker routed the others is unknown.
 */
final class ConfirmChannel implements ConfirmListener {
  // Logged as the publisher's: one place for everything about publishing.
  private static final Logger log = LoggerFactory.getLogger(Publisher.class);

  final Channel channel;
  final ConcurrentNavigableMap<Long, PendingPublish> unconfirmed = new ConcurrentSkipListMap<>();
  /** Hands messages back to the publishing thread to be published once more. */
  private final Consumer<List<PendingPublish>> publishAgain;

  ConfirmChannel(Channel channel, Consumer<List<PendingPublish>> publishAgain) {
    this.channel = channel;
    this.publishAgain = publishAgain;
    channel.addConfirmListener(this);
    // History events are mandatory: a stream deleted behind our back returns them (before their
    // confirm) instead of dropping them; handleAck then publishes them once more.
    channel.addReturnListener(returned -> {
      String id = returned.getProperties().getMessageId();
      if (id != null) {
        for (PendingPublish pending : unconfirmed.values()) {
          if (id.equals(pending.messageId)) {
            pending.returned = true;
          }
        }
      }
    });
    channel.addShutdownListener(this::closed);
  }

  @Override
  public void handleAck(long deliveryTag, boolean multiple) {
    settle(deliveryTag, multiple, this::acked);
  }

  private void acked(PendingPublish pending) {
    if (!pending.returned) {
      pending.confirmed();
      return;
    }
    pending.returned = false;
    pending.channel = null;
    if (pending.retried) {
      pending.fail(new BrokerException("RabbitMQ could not route the event to " + pending.message.exchange()));
      return;
    }
    pending.retried = true;
    log.info("{} is gone on RabbitMQ (event returned); declaring it again", pending.message.exchange());
    try {
      publishAgain.accept(List.of(pending));
    } catch (RejectedExecutionException e) {
      pending.fail(new BrokerException("RabbitMQ broker is closed"));
    }
  }

  @Override
  public void handleNack(long deliveryTag, boolean multiple) {
    settle(deliveryTag, multiple, pending -> pending.fail(new BrokerException("RabbitMQ refused the event (basic.nack)")));
  }

  private void settle(long deliveryTag, boolean multiple, Consumer<PendingPublish> outcome) {
    if (multiple) {
      var settled = unconfirmed.headMap(deliveryTag, true);
      for (PendingPublish pending; (pending = pollFirst(settled)) != null; ) {
        outcome.accept(pending);
      }
    } else {
      PendingPublish pending = unconfirmed.remove(deliveryTag);
      if (pending != null) {
        outcome.accept(pending);
      }
    }
  }

  private static PendingPublish pollFirst(NavigableMap<Long, PendingPublish> map) {
    var first = map.pollFirstEntry();
    return first == null ? null : first.getValue();
  }

  private void closed(ShutdownSignalException cause) {
    List<PendingPublish> again = new ArrayList<>();
    for (PendingPublish pending; (pending = pollFirst(unconfirmed)) != null; ) {
      pending.channel = null;
      if (!pending.retried && AmqpSupport.isNotFound(cause) && namesExchange(cause, pending.message.exchange())) {
        pending.retried = true;
        again.add(pending);
      } else {
        pending.fail(new BrokerException("publish failed: " + AmqpSupport.rootMessage(cause), cause));
      }
    }
    if (!again.isEmpty()) {
      log.info("Exchange {} is gone on RabbitMQ ({}); declaring it again", again.get(0).message.exchange(), AmqpSupport.rootMessage(cause));
      try {
        publishAgain.accept(again);
      } catch (RejectedExecutionException e) {
        again.forEach(pending -> pending.fail(new BrokerException("RabbitMQ broker is closed")));
      }
    }
  }

  private static boolean namesExchange(ShutdownSignalException cause, String exchange) {
    return cause.getReason() instanceof AMQP.Channel.Close close && close.getReplyText() != null
        && close.getReplyText().contains("'" + exchange + "'");
  }
}
