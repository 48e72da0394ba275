package io.myxi.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one client received of a {@link NumberedFeed}, checked as frames arrive: per key, seqs must
 * come as 0, 1, 2… (a repeat is a duplicate, a jump a gap or a reorder). Keeps the last position
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
        violations.add("gap: " + key + " #" + expected + " to #" + (seq - 1) + " missing before #" + seq);
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

  List<JsonNode> missedEvents() {
    return missedEvents;
  }

  long received() {
    return received;
  }
}
