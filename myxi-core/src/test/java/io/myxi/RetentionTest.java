package io.myxi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetentionTest {
  @Test
  void an_age_a_size_or_both() {
    Retention both = Retention.maxAge(Duration.ofMinutes(90)).withMaxBytes(1L << 30);
    assertThat(both.maxAge()).isEqualTo(Duration.ofMinutes(90));
    assertThat(both.maxBytes()).isEqualTo(1L << 30);
    assertThat(Retention.maxBytes(10).maxAge()).isNull();
    assertThat(Retention.maxAge(Duration.ofMillis(2500)).maxAge()).isEqualTo(Duration.ofSeconds(2));
    assertThat(Retention.maxBytes(5).withMaxAge(Duration.ofHours(1))).isEqualTo(Retention.maxAge(Duration.ofHours(1)).withMaxBytes(5));
  }

  @Test
  void limits_are_checked() {
    assertThatThrownBy(() -> Retention.maxAge(Duration.ofMillis(999))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Retention.maxBytes(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Retention.maxAge(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void an_exchange_registered_with_a_retention_keeps_history_in_its_stream() {
    Myxi myxi = Myxi.builder().exchangePrefix("staging.")
        .exchange("deploys", Authorizer.allowAll(), Retention.maxAge(Duration.ofHours(1)))
        .exchange("news", Authorizer.allowAll())
        .build();
    assertThat(myxi.exchange("deploys").orElseThrow().history()).contains(Retention.maxAge(Duration.ofHours(1)));
    assertThat(myxi.exchange("deploys").orElseThrow().historyStream()).isEqualTo("myxi.history.staging.deploys");
    assertThat(myxi.exchange("news").orElseThrow().history()).isEmpty();
    myxi.close();
  }
}
