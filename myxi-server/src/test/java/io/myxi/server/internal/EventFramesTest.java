package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventFramesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private static String frame(String body, String exchange, String routingKey) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    byte[] frame = EventFrames.frame(FACTORY, bytes, 0, bytes.length, EventFrames.quote(exchange), routingKey);
    return frame == null ? null : new String(frame, StandardCharsets.UTF_8);
  }

  @Test
  void event_and_payload_are_copied_as_they_are_and_mq_is_added() {
    assertThat(frame("{\"event\":\"ping\",\"payload\":{\"a\":[1,2.50,{\"b\":null}],\"n\":12345678901234567890}}", "widgets", "k1"))
        .isEqualTo("{\"event\":\"ping\",\"payload\":{\"a\":[1,2.50,{\"b\":null}],\"n\":12345678901234567890},\"mq\":{\"e\":\"widgets\",\"rk\":\"k1\"}}");
  }

  @Test
  void a_body_inside_a_larger_buffer_is_framed_from_its_own_bytes() {
    String body = "{\"event\":\"ping\",\"payload\":{\"a\":[1,2]}}";
    byte[] buffer = ("[\"before\"]" + body + "{\"after\":").getBytes(StandardCharsets.UTF_8);
    int offset = "[\"before\"]".length();

    byte[] frame = EventFrames.frame(FACTORY, buffer, offset, body.length(), EventFrames.quote("widgets"), "k1");

    assertThat(new String(frame, StandardCharsets.UTF_8))
        .isEqualTo("{\"event\":\"ping\",\"payload\":{\"a\":[1,2]},\"mq\":{\"e\":\"widgets\",\"rk\":\"k1\"}}");
    assertThat(EventFrames.frame(FACTORY, buffer, offset, body.length() - 1, EventFrames.quote("widgets"), "k1"))
        .as("cut one byte short: not an event").isNull();
  }

  @Test
  void other_members_whitespace_and_trailing_content_are_left_out() throws Exception {
    String out = frame(" { \"x\" : [ 1 ] , \"payload\" : \"p\\u00e9\" , \"event\" : \"e\\\"v\" } trailing", "ex", "rk");
    assertThat(out).isEqualTo("{\"event\":\"e\\\"v\",\"payload\":\"p\\u00e9\",\"mq\":{\"e\":\"ex\",\"rk\":\"rk\"}}");
    assertThat(MAPPER.readTree(out).get("payload").asText()).isEqualTo("pé");
  }

  @Test
  void a_missing_payload_is_null_and_the_last_of_a_repeated_member_counts() {
    assertThat(frame("{\"event\":\"a\",\"event\":\"b\"}", "ex", "rk")).isEqualTo("{\"event\":\"b\",\"payload\":null,\"mq\":{\"e\":\"ex\",\"rk\":\"rk\"}}");
    assertThat(frame("{\"event\":\"a\",\"payload\":1,\"payload\":true}", "ex", "rk")).isEqualTo("{\"event\":\"a\",\"payload\":true,\"mq\":{\"e\":\"ex\",\"rk\":\"rk\"}}");
  }

  @Test
  void exchange_and_routing_key_are_escaped() throws Exception {
    String out = frame("{\"event\":\"a\"}", "e\"x", "r\\k\u0001ü");
    assertThat(MAPPER.readTree(out).path("mq").path("e").asText()).isEqualTo("e\"x");
    assertThat(MAPPER.readTree(out).path("mq").path("rk").asText()).isEqualTo("r\\k\u0001ü");
  }

  @ParameterizedTest
  @ValueSource(strings = {"widgets", "user.42:x-y_z", "", "e\"x", "r\\k", "tab\there", "\u007f", "caf\u00e9", "\u20ac/\uD83D\uDE00"})
  void names_are_quoted_as_jackson_quotes_them(String name) {
    byte[] expected = com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsUTF8(name);
    assertThat(EventFrames.quote(name)).isEqualTo(expected);
    assertThat(frame("{\"event\":\"a\"}", name, name))
        .isEqualTo("{\"event\":\"a\",\"payload\":null,\"mq\":{\"e\":\"" + new String(expected, StandardCharsets.UTF_8)
            + "\",\"rk\":\"" + new String(expected, StandardCharsets.UTF_8) + "\"}}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not json", "[]", "\"event\"", "{}", "{\"event\":1}", "{\"event\":null,\"payload\":1}", "{\"event\":{}}",
      "{\"event\":\"a\",\"payload\":{\"b\":}}", "{\"event\":\"a\",\"payload\":[1,2}", "{\"event\":\"a\"", "{\"event\":\"a\",\"payload\":\"x\u0001\"}",
      "{\"event\":\"a\",\"payload\":tru}", "{\"payload\":1}"})
  void bodies_that_are_not_events_are_refused(String body) {
    assertThat(frame(body, "ex", "rk")).isNull();
  }

  @Test
  void invalid_utf8_inside_the_payload_is_refused() {
    byte[] body = "{\"event\":\"a\",\"payload\":{\"s\":\"xx\"}}".getBytes(StandardCharsets.UTF_8);
    body[30] = (byte) 0xC3; // a lead byte followed by a quote, not a continuation byte
    assertThat(EventFrames.frame(FACTORY, body, 0, body.length, EventFrames.quote("ex"), "rk")).isNull();
  }
}
