package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The bound on the live events a recovering subscription holds back. */
class HandOffTest {
  private static byte[] frame(int bytes) {
    return new byte[bytes];
  }

  @Test
  void holds_live_events_in_order_within_the_bound() {
    HandOff handOff = new HandOff(100);
    handOff.hold(10, frame(40), "x");
    handOff.hold(12, frame(60), "x");
    assertThat(handOff.droppedFrom()).isEqualTo(HandOff.NONE_DROPPED);
    assertThat(handOff.held()).extracting(HandOff.Held::offset).containsExactly(10L, 12L);
    assertThat(handOff.heldBytes()).isEqualTo(100);
  }

  @Test
  void past_the_bound_drops_all_held_and_remembers_the_first_offset_dropped() {
    HandOff handOff = new HandOff(100);
    handOff.hold(10, frame(60), "x");
    handOff.hold(11, frame(60), "x");
    assertThat(handOff.droppedFrom()).isEqualTo(10);
    assertThat(handOff.held()).isEmpty();
    assertThat(handOff.heldBytes()).isZero();
  }

  @Test
  void once_dropping_it_keeps_dropping_until_restarted() {
    HandOff handOff = new HandOff(100);
    handOff.hold(10, frame(150), "x");
    handOff.hold(11, frame(1), "x");
    assertThat(handOff.droppedFrom()).isEqualTo(10);
    assertThat(handOff.held()).isEmpty();
  }

  @Test
  void restart_answers_where_to_read_on_from_and_holds_again() {
    HandOff handOff = new HandOff(100);
    handOff.hold(10, frame(60), "x");
    handOff.hold(11, frame(60), "x");
    handOff.hold(12, frame(10), "x");
    assertThat(handOff.restart()).isEqualTo(10);
    assertThat(handOff.droppedFrom()).isEqualTo(HandOff.NONE_DROPPED);
    handOff.hold(13, frame(10), "x");
    assertThat(handOff.held()).extracting(HandOff.Held::offset).containsExactly(13L);
    assertThat(handOff.heldBytes()).isEqualTo(10);
  }
}
