package io.myxi.server.internal;

import io.myxi.broker.HistoryEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the last reads of one history stream fetched, contiguous and bounded in bytes, so that a
 * recovery arriving a little later (the clients of a node reconnect over seconds) is served from
 * memory instead of reading the same range from the broker again. Dropped when no recovery used it
 * for a while. {@link HistoryReader}'s thread only: no locks.
 */
final class KeptRead {
  private final long maxBytes;
  private final long idleNanos;
  private List<HistoryEvent> events; // null when nothing is kept
  private long bytes;
  private long usedAt;

  KeptRead(long maxBytes, Duration idle) {
    this.maxBytes = maxBytes;
    this.idleNanos = idle.toNanos();
  }

  /** Forgets what no recovery used within the idle time. */
  void dropIfIdle() {
    if (events != null && System.nanoTime() - usedAt >= idleNanos) {
      drop();
    }
  }

  /** Whether {@code offset} lies within what is kept. */
  boolean covers(long offset) {
    return events != null && offset >= events.get(0).offset() && offset <= last();
  }

  /** The last offset kept; -1 when nothing is. */
  long last() {
    return events == null ? -1 : events.get(events.size() - 1).offset();
  }

  /** Hands every kept event from {@code offset} on to {@code action}, in order, and marks the read used. */
  void forEachFrom(long offset, Consumer<HistoryEvent> action) {
    if (events == null) {
      return;
    }
    usedAt = System.nanoTime();
    for (HistoryEvent event : events) {
      if (event.offset() >= offset) {
        action.accept(event);
      }
    }
  }

  /**
   * Keeps an event a read fetched: appended when it follows the last one kept, ignored when it is
   * kept already (a read that started further back), else what was kept is replaced. The oldest
   * events go past {@code maxBytes}.
   */
  void keep(HistoryEvent event) {
    if (events != null && event.offset() != last() + 1) {
      if (covers(event.offset())) {
        return;
      }
      drop();
    }
    if (events == null) {
      events = new ArrayList<>();
    }
    events.add(event);
    bytes += event.body().length;
    usedAt = System.nanoTime();
    while (bytes > maxBytes && events.size() > 1) {
      bytes -= events.remove(0).body().length;
    }
  }

  private void drop() {
    events = null;
    bytes = 0;
  }
}
