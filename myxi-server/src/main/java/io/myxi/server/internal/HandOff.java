package io.myxi.server.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The live events of one subscription held back while its missed events are replayed, bounded in
 * bytes. Past the bound it holds nothing more: it drops what it held and every later live event,
 * and remembers the first offset dropped, so the replay reads on past them instead (a client far
 * behind on a busy key costs the node a bounded amount of memory, and is never closed for it).
 * Not thread-safe: the session guards it with its send lock.
 */
final class HandOff {
  /** What {@link #droppedFrom} answers while nothing was dropped. */
  static final long NONE_DROPPED = -1;

  /** A live event held back. */
  record Held(long offset, byte[] frame, String brokerExchange) {}

  private final long maxBytes;
  private List<Held> held = new ArrayList<>();
  private long heldBytes;
  private long droppedFrom = NONE_DROPPED;

  HandOff(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Holds a live event, or drops it (and all held) once the held bytes would pass the bound. */
  void hold(long offset, byte[] frame, String brokerExchange) {
    if (droppedFrom != NONE_DROPPED) {
      return;
    }
    if (heldBytes + frame.length > maxBytes) {
      droppedFrom = held.isEmpty() ? offset : held.get(0).offset();
      held = new ArrayList<>();
      heldBytes = 0;
      return;
    }
    held.add(new Held(offset, frame, brokerExchange));
    heldBytes += frame.length;
  }

  /** The first offset of the live events dropped, or {@link #NONE_DROPPED}. */
  long droppedFrom() {
    return droppedFrom;
  }

  /**
   * Holds again from now on, once the replay is about to read past the dropped events; returns
   * the first offset dropped (where the replay must read on from).
   */
  long restart() {
    long from = droppedFrom;
    droppedFrom = NONE_DROPPED;
    held = new ArrayList<>();
    heldBytes = 0;
    return from;
  }

  List<Held> held() {
    return held;
  }

  long heldBytes() {
    return heldBytes;
  }
}
