package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.LongString;
import io.myxi.Retention;
import io.myxi.broker.HistoryEvent;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history streams' conventions on RabbitMQ, in one place: how a stream is declared, how an
 * event is written to it and read back. An event is published to the default exchange with the
 * stream's name as routing key; its own routing key travels in the {@value #ROUTING_KEY_HEADER}
 * header and its tag is the message id.
 */
public final class HistoryStreams {
  private static final Logger log = LoggerFactory.getLogger(HistoryStreams.class);
  /** The header carrying the event's routing key. */
  public static final String ROUTING_KEY_HEADER = "x-myxi-rk";
  /** Where RabbitMQ puts a stream message's offset, and the consumer argument to start at one. */
  public static final String OFFSET = "x-stream-offset";

  private static final long MAX_SEGMENT_BYTES = 500L * 1000 * 1000;
  private static final long MIN_SEGMENT_BYTES = 4096;

  private HistoryStreams() {}

  /**
   * Declares {@code stream} with {@code retention} on a channel of its own (a refusal closes the
   * channel it happens on). A stream declared before with other limits is kept as it is (RabbitMQ
   * refuses to change them with 406): that is logged and not an error.
   */
  public static void declare(Connection connection, String stream, Retention retention) throws IOException {
    Map<String, Object> arguments = new HashMap<>();
    arguments.put("x-queue-type", "stream");
    if (retention.maxAge() != null) {
      arguments.put("x-max-age", retention.maxAge().getSeconds() + "s");
    }
    if (retention.maxBytes() > 0) {
      arguments.put("x-max-length-bytes", retention.maxBytes());
      // RabbitMQ drops whole segments (500 MB by default): smaller ones keep the size limit close.
      arguments.put("x-stream-max-segment-size-bytes", Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, retention.maxBytes() / 8)));
    }
    Channel channel = connection.createChannel();
    try {
      channel.queueDeclare(stream, true, false, false, arguments);
    } catch (IOException e) {
      if (!AmqpSupport.isPreconditionFailed(e)) {
        throw e;
      }
      log.warn("History stream {} exists with other limits than {}; keeping its own ({})", stream, retention, AmqpSupport.rootMessage(e));
    } finally {
      AmqpSupport.abortQuietly(channel);
    }
  }

  /** The properties of one stored event: persistent, JSON, a fresh tag and the routing key. */
  public static AMQP.BasicProperties properties(String routingKey) {
    Map<String, Object> headers = new HashMap<>();
    headers.put(ROUTING_KEY_HEADER, routingKey);
    return new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .contentEncoding("utf-8")
        .deliveryMode(2)
        .messageId(newTag())
        .headers(headers)
        .build();
  }

  /** A random 16-hex-digit event tag. */
  static String newTag() {
    return String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  /** The event in a stream delivery, or null if it has no offset (not from a stream). */
  public static HistoryEvent event(Delivery delivery) {
    Map<String, Object> headers = delivery.getProperties().getHeaders();
    if (headers == null || !(headers.get(OFFSET) instanceof Number offset)) {
      return null;
    }
    Object key = headers.get(ROUTING_KEY_HEADER);
    String routingKey = key instanceof LongString || key instanceof String ? key.toString() : "";
    String tag = delivery.getProperties().getMessageId();
    if (tag == null) {
      CRC32 crc = new CRC32();
      crc.update(delivery.getBody());
      tag = String.format("crc%08x", crc.getValue());
    }
    return new HistoryEvent(offset.longValue(), tag, routingKey, delivery.getBody());
  }
}
