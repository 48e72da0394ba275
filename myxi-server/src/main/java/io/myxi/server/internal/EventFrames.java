package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Turns a broker body {@code {"event":NAME,"payload":P,...}} into the client frame
 * {@code {"event":NAME,"payload":P,"mq":{"e":EXCHANGE,"rk":ROUTING_KEY}}} in one streaming pass:
 * the body is checked token by token (so malformed JSON is still refused) and the bytes of the
 * event name and the payload are copied as they are, without building a tree and writing it again.
 * Members other than {@code event} and {@code payload} are left out; a missing payload becomes
 * {@code null}; of a repeated member the last counts; anything after the object is ignored (all as
 * a tree parse did).
 *
 * <p>Stateless and thread-safe.
 */
final class EventFrames {
  private static final byte[] EVENT = "{\"event\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PAYLOAD = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MQ_E = ",\"mq\":{\"e\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MQ_RK = "\",\"rk\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\"}}".getBytes(StandardCharsets.US_ASCII);

  private EventFrames() {}

  /**
   * The contents of a JSON string for {@code text} (escaped, UTF-8, without the quotes). The
   * caller keeps it: an exchange's is made once, not once per event.
   */
  static byte[] quote(String text) {
    int length = plainAsciiLength(text);
    if (length < 0) {
      return JsonStringEncoder.getInstance().quoteAsUTF8(text);
    }
    byte[] bytes = new byte[length];
    putAscii(bytes, 0, text);
    return bytes;
  }

  /**
   * The client frame for the body that is the {@code length} bytes of {@code buffer} from {@code
   * offset}, with the exchange already {@link #quote quoted}; null when the body is not an event
   * (not JSON, not an object, no textual event).
   */
  static byte[] frame(JsonFactory factory, byte[] buffer, int offset, int length, byte[] quotedExchange, String routingKey) {
    int eventStart = -1;
    int eventEnd = -1;
    int payloadStart = -1;
    int payloadEnd = -1;
    try (JsonParser parser = factory.createParser(buffer, offset, length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        int start = (int) parser.currentTokenLocation().getByteOffset();
        if (value.isStructStart()) {
          parser.skipChildren(); // still tokenizes, so malformed content fails here
        } else {
          parser.finishToken(); // a string is read lazily: read it to its end
        }
        int end = (int) parser.currentLocation().getByteOffset();
        if ("event".equals(name)) {
          if (value == JsonToken.VALUE_STRING) {
            eventStart = start;
            eventEnd = end;
          } else {
            eventStart = -1;
          }
        } else if ("payload".equals(name)) {
          payloadStart = start;
          payloadEnd = end;
        }
      }
      if (token != JsonToken.END_OBJECT || eventStart < 0) {
        return null;
      }
    } catch (IOException e) {
      return null;
    }
    byte[] e = quotedExchange;
    // Routing keys are mostly plain ASCII: written straight into the frame, without an escaped copy.
    int plainKeyLength = plainAsciiLength(routingKey);
    byte[] rk = plainKeyLength < 0 ? JsonStringEncoder.getInstance().quoteAsUTF8(routingKey) : null;
    int rkLength = rk == null ? plainKeyLength : rk.length;
    int eventLength = eventEnd - eventStart;
    int payloadLength = payloadStart < 0 ? NULL.length : payloadEnd - payloadStart;
    // One array, filled in place: this runs once per event on the delivery thread.
    byte[] frame = new byte[EVENT.length + eventLength + PAYLOAD.length + payloadLength + MQ_E.length + e.length
        + MQ_RK.length + rkLength + END.length];
    int at = put(frame, 0, EVENT, 0, EVENT.length);
    // The parser's offsets count from the start of the body, not of the buffer.
    at = put(frame, at, buffer, offset + eventStart, eventLength);
    at = put(frame, at, PAYLOAD, 0, PAYLOAD.length);
    at = payloadStart < 0 ? put(frame, at, NULL, 0, NULL.length) : put(frame, at, buffer, offset + payloadStart, payloadLength);
    at = put(frame, at, MQ_E, 0, MQ_E.length);
    at = put(frame, at, e, 0, e.length);
    at = put(frame, at, MQ_RK, 0, MQ_RK.length);
    at = rk == null ? putAscii(frame, at, routingKey) : put(frame, at, rk, 0, rk.length);
    put(frame, at, END, 0, END.length);
    return frame;
  }

  /** The length of {@code text} if it is printable ASCII needing no JSON escape, else -1. */
  private static int plainAsciiLength(String text) {
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
        return -1;
      }
    }
    return length;
  }

  private static int putAscii(byte[] frame, int at, String plainAscii) {
    int length = plainAscii.length();
    for (int i = 0; i < length; i++) {
      frame[at + i] = (byte) plainAscii.charAt(i);
    }
    return at + length;
  }

  private static int put(byte[] frame, int at, byte[] from, int offset, int length) {
    System.arraycopy(from, offset, frame, at, length);
    return at + length;
  }
}
