package io.myxi.broker.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.myxi.broker.BrokerException;
import io.myxi.broker.HistoryCursor;
import io.myxi.broker.HistoryEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A sequential read of a history stream from an offset: an AMQP consumer with
 * {@code x-stream-offset} on a channel of its own, whose prefetch bounds what the broker sends ahead.
 * An event is acknowledged (which gives the broker credit for more) only once the reader took it, so
 * a reader that pauses pauses the transfer.
 *
 * <p>Deliveries arrive on the AMQP connection's reader thread and only enter a queue; {@link #next}
 * runs on the reader's thread.
 */
public final class StreamCursor implements HistoryCursor {
  private static final Object END = new Object();

  private record Entry(long deliveryTag, HistoryEvent event) {}

  private final Channel channel;
  private final long fromOffset;
  private final LinkedBlockingQueue<Object> arrived = new LinkedBlockingQueue<>();
  private final LongAdder nodeBytes;
  private volatile String failure;
  private long bytesRead; // reader thread only
  private final int ackEvery;
  private int unacknowledged; // reader thread only

  public StreamCursor(Connection connection, String stream, long fromOffset, int prefetch, LongAdder nodeBytes) {
    this.fromOffset = fromOffset;
    this.nodeBytes = nodeBytes;
    this.ackEvery = Math.max(1, prefetch / 4);
    try {
      channel = connection.createChannel();
      channel.basicQos(prefetch);
      channel.addShutdownListener(cause -> {
        if (!cause.isInitiatedByApplication()) {
          failure = AmqpSupport.rootMessage(cause);
          arrived.add(END);
        }
      });
      channel.basicConsume(stream, false, Map.of(HistoryStreams.OFFSET, fromOffset),
          (tag, delivery) -> {
            HistoryEvent event = HistoryStreams.event(delivery);
            if (event != null) {
              arrived.add(new Entry(delivery.getEnvelope().getDeliveryTag(), event));
            }
          },
          tag -> {
            failure = "the stream was deleted";
            arrived.add(END);
          });
    } catch (IOException | RuntimeException e) {
      throw new BrokerException("cannot read history stream " + stream + ": " + AmqpSupport.rootMessage(e), e);
    }
  }

  @Override
  public HistoryEvent next(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Object taken = arrived.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (taken == null) {
        return null;
      }
      if (taken == END) {
        arrived.add(END);
        throw new BrokerException("history read failed: " + failure);
      }
      Entry entry = (Entry) taken;
      // One ack for many events (the broker's credit comes back in steps), and at once when the
      // reader has taken everything that arrived, so the transfer never stalls.
      if (++unacknowledged >= ackEvery || arrived.isEmpty()) {
        unacknowledged = 0;
        try {
          channel.basicAck(entry.deliveryTag(), true);
        } catch (IOException | RuntimeException e) {
          throw new BrokerException("history read failed: " + AmqpSupport.rootMessage(e), e);
        }
      }
      bytesRead += entry.event().body().length;
      nodeBytes.add(entry.event().body().length);
      if (entry.event().offset() >= fromOffset) {
        return entry.event(); // Earlier ones are the start of the first chunk.
      }
    }
  }

  @Override
  public long bytesRead() {
    return bytesRead;
  }

  @Override
  public void close() {
    AmqpSupport.abortQuietly(channel);
  }
}
