package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/**
 * Writes the frames a node sends to one session, {@code {"event":…,"tag":…,"payload":…}}, with a
 * generator: no tree is built for the envelope, and a payload is written as the application's
 * mapper writes it, without a detour through a tree. Every connect, login and subscription is
 * answered this way, so its cost counts in a storm of clients reconnecting to a fresh node.
 * Thread-safe.
 */
final class ReplyFrames {
  private final ObjectMapper mapper;
  /** A payload is a field of the frame, never a root: never wrapped in a root name, whatever the mapper says. */
  private final ObjectWriter payloadWriter;

  ReplyFrames(ObjectMapper mapper) {
    this.mapper = mapper;
    this.payloadWriter = mapper.writer().without(SerializationFeature.WRAP_ROOT_VALUE);
  }

  /** The frame in UTF-8; {@code tag} is left out when null, a null {@code payload} is written as null. */
  byte[] frame(String event, JsonNode tag, Object payload) {
    ByteArrayBuilder out = new ByteArrayBuilder(256);
    try (JsonGenerator g = mapper.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("event", event);
      if (tag != null) {
        g.writeFieldName("tag");
        // The tags clients send are strings and small integers: written directly.
        if (tag.isTextual()) {
          g.writeString(tag.textValue());
        } else if (tag.isInt()) {
          g.writeNumber(tag.intValue());
        } else {
          payloadWriter.writeValue(g, tag);
        }
      }
      g.writeFieldName("payload");
      payloadWriter.writeValue(g, payload);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalArgumentException("frame cannot be written as JSON", e);
    }
    return out.toByteArray();
  }
}
