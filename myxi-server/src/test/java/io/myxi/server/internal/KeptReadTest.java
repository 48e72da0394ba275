package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.broker.HistoryEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a history read keeps for recoveries that come a little later. */
class KeptReadTest {
  private static HistoryEvent event(long offset, int bytes) {
    return new HistoryEvent(offset, "t" + offset, "k", new byte[bytes]);
  }

  private static List<Long> from(KeptRead kept, long offset) {
    List<Long> offsets = new ArrayList<>();
    kept.forEachFrom(offset, event -> offsets.add(event.offset()));
    return offsets;
  }

  @Test
  void keeps_a_contiguous_run_and_serves_it_from_any_offset_inside() {
    KeptRead kept = new KeptRead(1_000, Duration.ofSeconds(30));
    assertThat(kept.covers(0)).isFalse();
    assertThat(kept.last()).isEqualTo(-1);
    for (long offset = 5; offset <= 8; offset++) {
      kept.keep(event(offset, 10));
    }
    assertThat(kept.covers(4)).isFalse();
    assertThat(kept.covers(5)).isTrue();
    assertThat(kept.covers(9)).isFalse();
    assertThat(kept.last()).isEqualTo(8);
    assertThat(from(kept, 7)).containsExactly(7L, 8L);
  }

  @Test
  void a_read_from_further_back_passes_what_is_kept_without_changing_it() {
    KeptRead kept = new KeptRead(1_000, Duration.ofSeconds(30));
    kept.keep(event(5, 10));
    kept.keep(event(6, 10));
    kept.keep(event(5, 10)); // the same offset, read again
    assertThat(from(kept, 0)).containsExactly(5L, 6L);
  }

  @Test
  void a_read_elsewhere_replaces_what_was_kept() {
    KeptRead kept = new KeptRead(1_000, Duration.ofSeconds(30));
    kept.keep(event(5, 10));
    kept.keep(event(6, 10));
    kept.keep(event(20, 10));
    assertThat(kept.covers(5)).isFalse();
    assertThat(from(kept, 0)).containsExactly(20L);
  }

  @Test
  void the_oldest_events_go_past_the_byte_bound_and_an_idle_read_is_dropped() {
    KeptRead kept = new KeptRead(25, Duration.ZERO);
    kept.keep(event(1, 10));
    kept.keep(event(2, 10));
    kept.keep(event(3, 10));
    assertThat(from(kept, 0)).containsExactly(2L, 3L);
    kept.dropIfIdle(); // idle for at least zero
    assertThat(kept.covers(3)).isFalse();
  }
}
