package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static List<Long> delays(Backoff backoff, int count) {
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      delays.add(backoff.nextDelayMillis());
    }
    return delays;
  }

  @Test
  void doubles_from_the_initial_delay_up_to_the_cap() {
    Backoff backoff = Backoff.withoutJitter(Duration.ofMillis(100), Duration.ofSeconds(1));
    assertThat(delays(backoff, 7)).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L, 1000L);
    assertThat(backoff.failures()).isEqualTo(7);
  }

  @Test
  void reset_starts_again_from_the_initial_delay() {
    Backoff backoff = Backoff.withoutJitter(Duration.ofMillis(100), Duration.ofSeconds(1));
    delays(backoff, 4);
    backoff.reset();
    assertThat(backoff.failures()).isZero();
    assertThat(delays(backoff, 2)).containsExactly(100L, 200L);
  }

  @Test
  void equal_jitter_stays_between_half_the_ceiling_and_the_ceiling() {
    assertThat(delays(Backoff.withEqualJitter(Duration.ofMillis(100), Duration.ofSeconds(1), bound -> 0), 5))
        .containsExactly(50L, 100L, 200L, 400L, 500L);
    assertThat(delays(Backoff.withEqualJitter(Duration.ofMillis(100), Duration.ofSeconds(1), bound -> bound - 1), 5))
        .containsExactly(100L, 200L, 400L, 800L, 1000L);

    SplittableRandom random = new SplittableRandom(42);
    Backoff backoff = Backoff.withEqualJitter(Duration.ofMillis(100), Duration.ofSeconds(1), random::nextLong);
    for (int attempt = 0; attempt < 1000; attempt++) {
      long ceiling = Backoff.ceilingMillis(100, 1000, attempt);
      assertThat(backoff.nextDelayMillis()).isBetween(ceiling / 2, ceiling);
    }
  }

  @Test
  void never_overflows_and_never_exceeds_the_cap() {
    Backoff huge = Backoff.withoutJitter(Duration.ofDays(1), Duration.ofMillis(Long.MAX_VALUE));
    long previous = 0;
    for (int attempt = 0; attempt < 200; attempt++) {
      long delay = huge.nextDelayMillis();
      assertThat(delay).isPositive().isGreaterThanOrEqualTo(previous);
      previous = delay;
    }
    assertThat(previous).isEqualTo(Long.MAX_VALUE);
    assertThat(Backoff.ceilingMillis(5000, 1000, 0)).as("initial above the cap").isEqualTo(1000);
  }
}
