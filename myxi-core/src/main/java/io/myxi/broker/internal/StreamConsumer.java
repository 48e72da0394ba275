package io.myxi.broker.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.myxi.Retention;
import io.myxi.broker.HistoryEvent;
import io.myxi.broker.HistoryFeed;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's live reading of one history stream over AMQP 0-9-1: a consumer with
 * {@code x-stream-offset}, bounded prefetch and manual acknowledgements (RabbitMQ requires both for
 * streams; the acknowledgements only return credit), on the node queues' connection.
 *
 * <p>It starts at the stream's end ("next"). After a broker fault (connection lost, consumer
 * cancelled, channel closed) it attaches again at its last offset, checks that the event there is
 * still the one it read (same tag), and goes on with the next one, so nothing the stream holds is
 * lost and nothing is handed over twice. When the stream was deleted meanwhile, or the event is
 * gone or different, it tells the listener {@link Listener#onReset} and goes on from what it finds.
 *
 * <p>Threads: {@link #restore} and {@link #lost} run on the supervisor's recovery thread,
 * deliveries on the AMQP connection's reader thread (one at a time, in order); {@link #lastOffset}
 * and {@link #lastTag} are written there only.
 */
public final class StreamConsumer implements HistoryFeed, ConnectionSupervisor.Participant<Connection> {
  private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);

  private final String stream;
  private final Retention retention;
  private final Listener listener;
  private final ConnectionSupervisor<Connection> supervisor;
  private final int prefetch;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Channel channel;
  /** True once the broker registered the consumer on {@link #channel}. */
  private volatile boolean consuming;
  private volatile long lastOffset = -1;
  private volatile String lastTag;

  public StreamConsumer(String stream, Retention retention, Listener listener, ConnectionSupervisor<Connection> supervisor, int prefetch) {
    this.stream = stream;
    this.retention = retention;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.supervisor = supervisor;
    this.prefetch = prefetch;
  }

  @Override
  public void restore(Connection current) throws IOException {
    if (closed.get()) {
      return;
    }
    Channel existing = channel;
    if (existing != null && existing.isOpen() && existing.getConnection() == current) {
      return;
    }
    boolean existed = exists(current);
    HistoryStreams.declare(current, stream, retention);
    Channel consumer = current.createChannel();
    consumer.basicQos(prefetch);
    long from = lastOffset;
    Attachment attachment;
    if (from < 0) {
      attachment = new Attachment(-1, null, false);
    } else if (!existed) {
      attachment = new Attachment(-1, null, true);
    } else {
      attachment = new Attachment(from, lastTag, false);
    }
    Object startAt = attachment.verifyOffset >= 0 ? (Object) attachment.verifyOffset : attachment.resetReason ? "first" : "next";
    channel = consumer; // Before consuming: deliveries on any other channel are ignored.
    consumer.basicConsume(stream, false, Map.of(HistoryStreams.OFFSET, startAt),
        (tag, delivery) -> onDelivery(consumer, attachment, delivery),
        tag -> reattachLater("its consumer was cancelled (stream deleted or moved)"));
    consumer.addShutdownListener(cause -> {
      if (!cause.isHardError() && !cause.isInitiatedByApplication() && channel == consumer) {
        reattachLater("its channel closed (" + AmqpSupport.rootMessage(cause) + ")");
      }
    });
    consuming = true;
    log.debug("Reading history stream {} from {}", stream, startAt);
  }

  private boolean exists(Connection current) throws IOException {
    Channel probe = current.createChannel();
    try {
      probe.queueDeclarePassive(stream);
      return true;
    } catch (IOException e) {
      if (AmqpSupport.isNotFound(e)) {
        return false;
      }
      throw e;
    } finally {
      AmqpSupport.abortQuietly(probe);
    }
  }

  /** Where one attachment started and whether its first events still need checking. Connection reader thread. */
  private static final class Attachment {
    final long verifyOffset;
    final String verifyTag;
    boolean resetReason;
    boolean verifying;

    Attachment(long verifyOffset, String verifyTag, boolean streamWasDeleted) {
      this.verifyOffset = verifyOffset;
      this.verifyTag = verifyTag;
      this.resetReason = streamWasDeleted;
      this.verifying = verifyOffset >= 0;
    }
  }

  // Connection reader thread.
  private void onDelivery(Channel consumer, Attachment attachment, Delivery delivery) throws IOException {
    consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
    if (channel != consumer) {
      return; // A replaced attachment's last deliveries.
    }
    HistoryEvent event = HistoryStreams.event(delivery);
    if (event == null) {
      return;
    }
    if (attachment.resetReason) {
      attachment.resetReason = false;
      reset("the stream was deleted and created again");
    }
    if (attachment.verifying) {
      if (event.offset() < attachment.verifyOffset) {
        return; // The start of the chunk holding the offset we attached at.
      }
      attachment.verifying = false;
      if (event.offset() == attachment.verifyOffset) {
        if (event.tag().equals(attachment.verifyTag)) {
          return; // The last event we handed over: go on after it.
        }
        reset("the stream was deleted and created again");
      } else if (event.offset() > attachment.verifyOffset + 1) {
        reset("events after offset " + attachment.verifyOffset + " are past the retention");
      }
    } else if (event.offset() <= lastOffset) {
      return;
    }
    lastOffset = event.offset();
    lastTag = event.tag();
    try {
      listener.onEvent(event);
    } catch (RuntimeException | Error e) {
      log.error("History listener threw; event {} of {} dropped", event.offset(), stream, e);
    }
  }

  private void reset(String reason) {
    log.warn("History stream {} could not be resumed at offset {}: {}", stream, lastOffset, reason);
    lastOffset = -1;
    try {
      listener.onReset(reason);
    } catch (RuntimeException e) {
      log.error("History listener threw in onReset", e);
    }
  }

  /** Attaches again from the recovery thread, where waiting for the broker is allowed. */
  private void reattachLater(String why) {
    if (closed.get()) {
      return;
    }
    Channel lostChannel = channel;
    supervisor.execute(() -> {
      if (closed.get() || channel != lostChannel) {
        return;
      }
      log.warn("History stream {}: {}; attaching again after offset {}", stream, why, lastOffset);
      lost(why);
      Connection current = supervisor.current();
      if (current == null) {
        return; // The connection's own recovery restores this feed.
      }
      try {
        restore(current);
      } catch (Exception e) {
        log.warn("Could not attach to history stream {} again: {}; reconnecting", stream, AmqpSupport.rootMessage(e));
        supervisor.dropConnection(current);
      }
    });
  }

  @Override
  public void lost(String reason) {
    consuming = false;
    Channel old = channel;
    channel = null;
    AmqpSupport.abortQuietly(old);
  }

  @Override
  public void recovered(java.time.Instant downSince, java.time.Instant upAt) {
    // Nothing to report: restore() attached after the last offset, so nothing was missed.
  }

  @Override
  public long lastOffset() {
    return lastOffset;
  }

  @Override
  public boolean isConnected() {
    Channel current = channel;
    return consuming && current != null && current.isOpen();
  }

  /** The consuming channel, so tests can make the broker close it. */
  public Channel consumerChannel() {
    return channel;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    supervisor.unregister(this);
    Channel old = channel;
    channel = null;
    AmqpSupport.abortQuietly(old);
  }
}
