package io.myxi.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SeqTrackerTest {
    @Test
    void countsGapsDuplicatesAndUnexpected() {
        SeqTracker t = new SeqTracker();
        for (int s : new int[] {0, 1, 2, 2, 4, 5, 5, 5, 9}) {
            t.record(s);
        }
        assertThat(t.received()).isEqualTo(9);
        assertThat(t.distinct()).isEqualTo(6);
        assertThat(t.duplicates()).isEqualTo(3);
        assertThat(t.maxSeq()).isEqualTo(9);
        // published 8 events: 0..7 -> 3, 6, 7 missing; 9 was never published
        assertThat(t.lost(8)).isEqualTo(3);
        assertThat(t.unexpected(8)).isEqualTo(1);
        assertThat(t.complete(3)).isTrue();
        assertThat(t.complete(4)).isFalse();
        assertThat(t.missing(4, 6)).isZero();
        assertThat(t.missing(3, 10)).isEqualTo(4);
        assertThat(t.missing(5, 5)).isZero();
    }

    @Test
    void outOfOrderIsNotLoss() {
        SeqTracker t = new SeqTracker();
        for (int s : new int[] {3, 1, 0, 2}) {
            assertThat(t.record(s)).isFalse();
        }
        assertThat(t.lost(4)).isZero();
        assertThat(t.duplicates()).isZero();
        assertThat(t.record(1)).isTrue();
    }

    @Test
    void emptyTrackerLosesEverything() {
        SeqTracker t = new SeqTracker();
        assertThat(t.lost(5)).isEqualTo(5);
        assertThat(t.lost(0)).isZero();
        assertThat(t.complete(0)).isTrue();
        assertThat(t.maxSeq()).isEqualTo(-1);
        assertThat(t.unexpected(0)).isZero();
        assertThatThrownBy(() -> t.record(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
