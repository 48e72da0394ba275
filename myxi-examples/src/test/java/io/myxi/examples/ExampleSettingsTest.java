package io.myxi.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The demo's MYXI_PACKED_PUBLISHING and MYXI_ROUTING_BUCKETS values. */
class ExampleSettingsTest {
  @Test
  void pack_delay_is_off_when_unset_and_takes_ms_s_or_zero() {
    assertThat(ExampleSettings.packDelay(null)).isNull();
    assertThat(ExampleSettings.packDelay(" ")).isNull();
    assertThat(ExampleSettings.packDelay("0")).as("packed, no delay").isEqualTo(Duration.ZERO);
    assertThat(ExampleSettings.packDelay("0ms")).isEqualTo(Duration.ZERO);
    assertThat(ExampleSettings.packDelay("1ms")).isEqualTo(Duration.ofMillis(1));
    assertThat(ExampleSettings.packDelay(" 250 MS ")).isEqualTo(Duration.ofMillis(250));
    assertThat(ExampleSettings.packDelay("1s")).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void a_bad_pack_delay_names_the_variable_and_the_value() {
    for (String bad : new String[] {"1", "2s", "1001ms", "-1ms", "soon", "1.5ms", "1m"}) {
      assertThatThrownBy(() -> ExampleSettings.packDelay(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("MYXI_PACKED_PUBLISHING must be a delay in 0..1s such as 1ms, 500ms, 1s or 0: " + bad);
    }
  }

  @Test
  void routing_buckets_are_off_when_unset_or_zero() {
    assertThat(ExampleSettings.routingBuckets(null)).isZero();
    assertThat(ExampleSettings.routingBuckets("")).isZero();
    assertThat(ExampleSettings.routingBuckets("0")).isZero();
    assertThat(ExampleSettings.routingBuckets(" 256 ")).isEqualTo(256);
    assertThat(ExampleSettings.routingBuckets("65536")).isEqualTo(65536);
  }

  @Test
  void bad_routing_buckets_name_the_variable_and_the_value() {
    for (String bad : new String[] {"-1", "65537", "many", "2.5"}) {
      assertThatThrownBy(() -> ExampleSettings.routingBuckets(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("MYXI_ROUTING_BUCKETS must be a whole number in 0..65536 (0: off): " + bad);
    }
  }
}
