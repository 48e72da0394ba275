package io.myxi.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one client received of a {@link NumberedFeed}, checked as frames arrive: per key, seqs must
 * come as 0, 1, 2… (a repeat is a duplicate or a reorder; a jump is a gap, a loss when a missing
 * event was confirmed). Keeps the last position
 * ({@code mq.o}/{@code mq.t}) per key for a resubscribe, counts {@code MissedEvents}, and notes when
 * the first event published after a given instant arrived (how soon a client is live again).
 *
 * <p>Not thread-safe: one test thread feeds it.
 */
final class FeedReceiver {
  private final Map<String, Integer> next = new HashMap<>();
  private final Map<String, Map<String, Object>> positions = new LinkedHashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final List<JsonNode> missedEvents = new ArrayList<>();
  private final List<Gap> gaps = new ArrayList<>();

  /** Seqs {@code from} to {@code to} of {@code key} never arrived (a later one did). */
  private record Gap(String key, int from, int to) {}
  private long received;
  private long liveAfterNanos = Long.MAX_VALUE;
  private long liveAtNanos = -1;

  FeedReceiver(List<String> keys) {
    for (String key : keys) {
      next.put(key, 0);
    }
  }

  /** Takes one frame; returns true if it was an event of the feed. */
  boolean absorb(JsonNode frame, NumberedFeed feed) {
    String event = frame.path("event").asText();
    if ("MissedEvents".equals(event)) {
      missedEvents.add(frame);
      return false;
    }
    if (!NumberedFeed.EVENT.equals(event)) {
      return false;
    }
    String key = frame.path("payload").path("key").asText();
    int seq = frame.path("payload").path("seq").asInt();
    Integer expected = next.get(key);
    if (expected == null) {
      violations.add("event of a key not subscribed: " + key + "#" + seq);
      return true;
    }
    received++;
    JsonNode mq = frame.path("mq");
    if (seq < expected) {
      Map<String, Object> last = positions.get(key);
      violations.add("duplicate or out of order: " + key + "#" + seq + " (offset " + (mq.has("o") ? mq.path("o").asLong() : "none")
          + ") after #" + (expected - 1) + " (offset " + (last == null ? "none" : last.get("o")) + ")");
    } else {
      if (seq > expected) {
        // A gap is a loss only where the publisher was told the event was stored (see lost()).
        gaps.add(new Gap(key, expected, seq - 1));
      }
      next.put(key, seq + 1);
    }
    if (mq.has("o")) {
      positions.put(key, Map.of("o", mq.path("o").asLong(), "t", mq.path("t").asText()));
    }
    if (liveAtNanos < 0 && feed.publishedAtNanos(key, seq) >= liveAfterNanos) {
      liveAtNanos = System.nanoTime();
    }
    return true;
  }

  /** From now on, note when the first event published after {@code nanos} arrives. */
  void watchLiveAfter(long nanos) {
    liveAfterNanos = nanos;
    liveAtNanos = -1;
  }

  /** Milliseconds from the instant given to {@link #watchLiveAfter} to that event's arrival; -1 if none yet. */
  long liveAfterMillis() {
    return liveAtNanos < 0 ? -1 : (liveAtNanos - liveAfterNanos) / 1_000_000;
  }

  /** True once every confirmed event of every key has arrived. */
  boolean hasAllConfirmed(NumberedFeed feed) {
    for (Map.Entry<String, Integer> entry : next.entrySet()) {
      if (entry.getValue() <= feed.confirmedMax(entry.getKey())) {
        return false;
      }
    }
    return true;
  }

  /** The last position seen of {@code key}; null if none. */
  Map<String, Object> position(String key) {
    return positions.get(key);
  }

  Map<String, Map<String, Object>> positions() {
    return positions;
  }

  List<String> violations() {
    return violations;
  }

  /**
   * Confirmed events that never arrived although a later one of their key did. Events whose
   * publish failed may be missing (nothing was stored) or present (stored, the confirm lost).
   */
  List<String> lost(NumberedFeed feed) {
    List<String> lost = new ArrayList<>();
    for (Gap gap : gaps) {
      for (int seq = gap.from(); seq <= gap.to(); seq++) {
        if (feed.confirmed(gap.key(), seq)) {
          lost.add("lost: " + gap.key() + "#" + seq + " (confirmed)");
        }
      }
    }
    return lost;
  }

  /** Events missing that were never confirmed to the publisher (their publish failed). */
  int unconfirmedGaps(NumberedFeed feed) {
    int count = 0;
    for (Gap gap : gaps) {
      for (int seq = gap.from(); seq <= gap.to(); seq++) {
        if (!feed.confirmed(gap.key(), seq)) {
          count++;
        }
      }
    }
    return count;
  }

  List<JsonNode> missedEvents() {
    return missedEvents;
  }

  long received() {
    return received;
  }
}
