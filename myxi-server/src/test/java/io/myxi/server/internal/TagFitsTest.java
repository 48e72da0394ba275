package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tag check decides as writing the tag as JSON would, without writing it when that is sure. */
class TagFitsTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @Test
  void agrees_with_the_written_length_at_every_boundary() throws Exception {
    List<JsonNode> tags = new ArrayList<>();
    int max = ActionDispatcher.MAX_TAG_CHARS;
    for (String unit : new String[] {"a", "\u0001", "\"", "é", "\uD83D\uDE00"}) {
      for (int length : new int[] {0, 1, (max - 2) / 6, (max - 2) / 6 + 1, (max - 2) / 2, max / 2, max - 3, max - 2, max - 1, max, max + 1}) {
        tags.add(NODES.textNode(unit.repeat(Math.max(0, length / unit.length()))));
      }
    }
    tags.add(NODES.numberNode(Long.MIN_VALUE));
    tags.add(NODES.numberNode(7));
    tags.add(NODES.numberNode(new BigInteger("9".repeat(max + 5))));
    tags.add(NODES.numberNode(new BigInteger("9".repeat(30))));
    tags.add(NODES.numberNode(1.5e300));
    tags.add(NODES.booleanNode(true));
    tags.add(NODES.nullNode());
    tags.add(new ObjectMapper().readTree("{\"a\":[1,2,\"" + "x".repeat(max) + "\"]}"));
    tags.add(new ObjectMapper().readTree("{\"a\":[1,2]}"));
    for (JsonNode tag : tags) {
      assertThat(ActionDispatcher.tagFits(tag)).as("%s...", tag.toString().substring(0, Math.min(40, tag.toString().length())))
          .isEqualTo(tag.toString().length() <= max);
    }
  }
}
