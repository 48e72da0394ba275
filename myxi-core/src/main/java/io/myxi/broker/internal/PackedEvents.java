package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import io.myxi.broker.Broker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Several live events in one AMQP message, for nodes of Myxi for Java 0.2 and later (see {@link
 * io.myxi.broker.RabbitMqBroker.Builder#packedPublishing}). The message has the AMQP type {@link
 * #TYPE}; its body is the magic bytes {@code MYXP}, a version byte (1), then per event: the routing
 * key's length (2 bytes, big-endian), the key (UTF-8), the body's length (4 bytes, big-endian) and
 * the body, exactly as a single event would carry it. The message is routed with the first key (or
 * bucket) as routing key and the others in the {@code CC} header, so RabbitMQ puts it once in every
 * queue bound to any of them.
 *
 * <p>A routing bucket is {@code myxi.bucket.N.B} where {@code B} is the CRC-32 of the key's UTF-8
 * bytes modulo {@code N}: any publisher can compute it.
 */
public final class PackedEvents {
  /** The AMQP {@code type} property of a packed message. */
  public static final String TYPE = "myxi.packed.v1";
  private static final byte[] MAGIC = {'M', 'Y', 'X', 'P', 1};
  /** Above this, a pack is closed and the next event starts another message. */
  static final int MAX_PACK_BYTES = 128 * 1024;
  static final int MAX_PACK_EVENTS = 1000;

  private PackedEvents() {}

  /**
   * Receives the events of a packed message, in order: each body is the {@code length} bytes of
   * the packed message's {@code body} from {@code offset}, not a copy.
   */
  public interface Receiver {
    void event(String routingKey, byte[] body, int offset, int length);
  }

  /** The body of a packed message holding {@code messages} (all of one exchange), in order. */
  static byte[] pack(List<Broker.Message> messages) {
    int size = MAGIC.length;
    List<byte[]> keys = new ArrayList<>(messages.size());
    for (Broker.Message message : messages) {
      byte[] key = message.routingKey().getBytes(StandardCharsets.UTF_8);
      keys.add(key);
      size += 2 + key.length + 4 + message.body().length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(MAGIC);
    for (int i = 0; i < messages.size(); i++) {
      byte[] key = keys.get(i);
      byte[] body = messages.get(i).body();
      out.putShort((short) key.length).put(key).putInt(body.length).put(body);
    }
    return out.array();
  }

  /** The bytes {@link #pack} adds for one event of this key, besides its body. */
  static int overhead(String routingKey) {
    return 6 + routingKey.length() * 3;
  }

  /**
   * Hands each event of a packed body to {@code receiver}, in order.
   *
   * @throws IllegalArgumentException the body is not a packed message (what was read before the
   *     fault was handed over already)
   */
  public static void unpack(byte[] body, Receiver receiver) {
    ByteBuffer in = ByteBuffer.wrap(body);
    if (body.length < MAGIC.length || !ByteBuffer.wrap(body, 0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
      throw new IllegalArgumentException("not a packed message (bad magic or version)");
    }
    in.position(MAGIC.length);
    while (in.hasRemaining()) {
      if (in.remaining() < 2) {
        throw new IllegalArgumentException("truncated key length at byte " + in.position());
      }
      int keyLength = in.getShort() & 0xFFFF;
      if (in.remaining() < keyLength + 4) {
        throw new IllegalArgumentException("truncated key at byte " + in.position());
      }
      String key = new String(body, in.position(), keyLength, StandardCharsets.UTF_8);
      in.position(in.position() + keyLength);
      int bodyLength = in.getInt();
      if (bodyLength < 0 || in.remaining() < bodyLength) {
        throw new IllegalArgumentException("truncated body at byte " + in.position());
      }
      int offset = in.position();
      in.position(offset + bodyLength);
      receiver.event(key, body, offset, bodyLength);
    }
  }

  /** The routing bucket of {@code routingKey} among {@code buckets}. */
  public static String bucketKey(String routingKey, int buckets) {
    CRC32 crc = new CRC32();
    crc.update(routingKey.getBytes(StandardCharsets.UTF_8));
    return "myxi.bucket." + buckets + "." + (crc.getValue() % buckets);
  }

  /**
   * The routing keys of a packed message: its events' keys (or their buckets when {@code buckets}
   * is positive), each once, in order of first appearance; the first is the routing key, the
   * others go in {@code CC}.
   */
  static List<String> routes(List<Broker.Message> messages, int buckets) {
    Set<String> routes = new LinkedHashSet<>();
    for (Broker.Message message : messages) {
      routes.add(buckets > 0 ? bucketKey(message.routingKey(), buckets) : message.routingKey());
    }
    return new ArrayList<>(routes);
  }

  /** The properties of a packed message routed to {@code routes}. */
  static AMQP.BasicProperties properties(List<String> routes) {
    AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder()
        .type(TYPE)
        .contentType("application/vnd.myxi.packed")
        .deliveryMode(1);
    if (routes.size() > 1) {
      builder.headers(Map.of("CC", new ArrayList<Object>(routes.subList(1, routes.size()))));
    }
    return builder.build();
  }
}
