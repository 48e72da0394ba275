package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frames written with a generator are the bytes the envelope tree and {@code valueToTree} gave before. */
class ReplyFramesTest {
  record Deploy(String appName, int step, List<String> lines, double seconds) {}

  @Test
  void frames_are_what_a_tree_of_the_reply_writes() throws Exception {
    List<ObjectMapper> mappers = List.of(
        new ObjectMapper(),
        new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE),
        new ObjectMapper().enable(SerializationFeature.WRAP_ROOT_VALUE),
        new ObjectMapper().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS));
    ObjectNode subscribed = JsonNodeFactory.instance.objectNode().put("exchange", "public").put("routing_key", "ü\"\n");
    subscribed.putObject("position").put("o", 12).put("t", "abc");
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("user", "ada");
    map.put("nothing", null);
    List<Object> payloads = new ArrayList<>(Arrays.asList(subscribed, map, new Deploy("shop", 3, List.of("a", "b"), 1.25e9),
        "text", 42, null, JsonNodeFactory.instance.objectNode()));
    List<JsonNode> tags = Arrays.asList(null, JsonNodeFactory.instance.textNode("t-1"), JsonNodeFactory.instance.numberNode(7),
        JsonNodeFactory.instance.numberNode(1L << 40), JsonNodeFactory.instance.numberNode(2.5), JsonNodeFactory.instance.booleanNode(false),
        new ObjectMapper().readTree("{\"n\":[1,\"x\"]}"));
    for (ObjectMapper mapper : mappers) {
      ReplyFrames frames = new ReplyFrames(mapper);
      // Root-name wrapping of the application's mapper never applies to frames: a wrapped frame is
      // one no client can read (before, it wrapped the frame and the payload).
      ObjectMapper tree = mapper.copy().disable(SerializationFeature.WRAP_ROOT_VALUE);
      for (Object payload : payloads) {
        for (JsonNode tag : tags) {
          ObjectNode envelope = tree.createObjectNode();
          envelope.put("event", "Subscribed");
          if (tag != null) {
            envelope.set("tag", tag);
          }
          envelope.set("payload", tree.valueToTree(payload));
          String before = new String(tree.writeValueAsBytes(envelope), StandardCharsets.UTF_8);
          String now = new String(frames.frame("Subscribed", tag, payload), StandardCharsets.UTF_8);
          assertThat(now).as("payload %s, tag %s", payload, tag).isEqualTo(before);
        }
      }
    }
  }
}
