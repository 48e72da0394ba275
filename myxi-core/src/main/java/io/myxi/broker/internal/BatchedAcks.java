package io.myxi.broker.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledges the deliveries of one consumer channel in batches: one {@code basic.ack} with
 * {@code multiple=true} for every {@code batch} handled deliveries, and for the rest at most
 * {@code maxDelayMillis} after the first of them was handled (on {@code timer}).
 *
 * <p>Why: one ack per event was one frame written to RabbitMQ and processed by it per event; with
 * single-recipient events that was a large part of what an event cost both sides. Delaying acks
 * changes nothing for the node: the batch is far below the prefetch, so deliveries never wait for
 * it, and the node queue is exclusive and auto-delete, so deliveries left unacknowledged when the
 * channel is lost are deleted with the queue, never delivered twice.
 *
 * <p>Thread-safe: {@link #handled} runs on the connection's reader thread, the flush on the timer.
 */
final class BatchedAcks {
  private static final Logger log = LoggerFactory.getLogger(BatchedAcks.class);

  private final Channel channel;
  private final int batch;
  private final long maxDelayMillis;
  private final ScheduledExecutorService timer;
  private long lastTag; // guarded by this
  private int pending; // guarded by this
  private boolean flushScheduled; // guarded by this

  BatchedAcks(Channel channel, int batch, long maxDelayMillis, ScheduledExecutorService timer) {
    this.channel = channel;
    this.batch = Math.max(1, batch);
    this.maxDelayMillis = maxDelayMillis;
    this.timer = timer;
  }

  /** The batch for a prefetch: a quarter of it, at most 64, so deliveries never wait for acks. */
  static int batchFor(int prefetch) {
    return Math.max(1, Math.min(64, prefetch / 4));
  }

  /** A delivery was handled (or dropped): it will be acknowledged with the next batch. */
  synchronized void handled(long deliveryTag) throws IOException {
    lastTag = deliveryTag;
    pending++;
    if (pending >= batch) {
      ackPending();
    } else if (!flushScheduled) {
      flushScheduled = true;
      try {
        timer.schedule(this::flush, maxDelayMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        flushScheduled = false;
        ackPending(); // closing: no timer any more
      }
    }
  }

  private synchronized void flush() {
    flushScheduled = false;
    try {
      ackPending();
    } catch (IOException | ShutdownSignalException e) {
      // The channel is gone, and its unacknowledged deliveries with the auto-delete queue.
      log.debug("Could not acknowledge deliveries: {}", AmqpSupport.rootMessage(e));
    }
  }

  private void ackPending() throws IOException {
    if (pending == 0) {
      return;
    }
    pending = 0;
    if (channel.isOpen()) {
      channel.basicAck(lastTag, true);
    }
  }
}
