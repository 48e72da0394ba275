package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.broker.Broker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class PackedEventsTest {
  private static Broker.Message message(String key, String body) {
    return new Broker.Message("x", key, body.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> unpacked(byte[] packed) {
    List<String> events = new ArrayList<>();
    PackedEvents.unpack(packed, (key, body, offset, length) -> events.add(key + "=" + new String(body, offset, length, StandardCharsets.UTF_8)));
    return events;
  }

  @Test
  void events_come_out_as_they_went_in_in_order() {
    byte[] packed = PackedEvents.pack(List.of(message("user-1", "{\"a\":1}"), message("ü-key", ""), message("user-1", "{\"a\":2}")));
    assertThat(unpacked(packed)).containsExactly("user-1={\"a\":1}", "ü-key=", "user-1={\"a\":2}");
  }

  @Test
  void a_body_that_is_not_packed_or_is_truncated_is_refused_after_the_events_before_the_fault() {
    assertThatThrownBy(() -> unpacked("{\"event\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a packed message");
    byte[] packed = PackedEvents.pack(List.of(message("a", "one"), message("b", "two")));
    byte[] cut = Arrays.copyOf(packed, packed.length - 1);
    List<String> before = new ArrayList<>();
    assertThatThrownBy(() -> PackedEvents.unpack(cut, (key, body, offset, length) -> before.add(key)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated body");
    assertThat(before).containsExactly("a");
  }

  @Test
  void a_bucket_is_the_crc32_of_the_key_modulo_the_bucket_count() {
    CRC32 crc = new CRC32();
    crc.update("user-42".getBytes(StandardCharsets.UTF_8));
    assertThat(PackedEvents.bucketKey("user-42", 256)).isEqualTo("myxi.bucket.256." + crc.getValue() % 256);
    // Another program computes the same: the CRC-32 of "123456789" is 0xCBF43926.
    assertThat(PackedEvents.bucketKey("123456789", 1000)).isEqualTo("myxi.bucket.1000." + (0xCBF43926L % 1000));
  }

  @Test
  void a_pack_is_routed_to_each_key_or_bucket_once_the_first_as_routing_key_the_others_in_cc() {
    List<Broker.Message> messages = List.of(message("a", "1"), message("b", "2"), message("a", "3"), message("c", "4"));
    List<String> routes = PackedEvents.routes(messages, 0);
    assertThat(routes).containsExactly("a", "b", "c");
    assertThat(PackedEvents.properties(routes).getHeaders()).containsEntry("CC", List.of("b", "c"));
    assertThat(PackedEvents.properties(routes).getType()).isEqualTo(PackedEvents.TYPE);
    assertThat(PackedEvents.properties(List.of("a")).getHeaders()).isNull();
    assertThat(PackedEvents.routes(messages, 1)).containsExactly("myxi.bucket.1.0");
  }
}
