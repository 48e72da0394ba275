package io.myxi.server.internal;

import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import io.myxi.broker.HistoryCursor;
import io.myxi.broker.HistoryEvent;
import io.myxi.server.internal.ExchangeHistory.Stored;
import io.myxi.server.internal.HistoryReader.Request;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a replay: hands the request off to live delivery, and while the session dropped live events
 * meanwhile (more than its {@link HandOff} holds), reads on past them to the node's current head
 * first, from the window or the stream. Runs on the history reader's thread.
 */
final class HandOffExtension {
  // Logged as the reader's: one place for everything about replays.
  private static final Logger log = LoggerFactory.getLogger(HistoryReader.class);

  private final ExchangeHistory history;
  private final Broker broker;
  private final String stream;
  private final ReplayPacing pacing;
  /** The reader's count of stream reads, which these reads add to. */
  private final AtomicLong streamReads;
  private final BooleanSupplier stopping;
  private final AtomicLong extensions = new AtomicLong();

  HandOffExtension(ExchangeHistory history, Broker broker, ReplayPacing pacing, AtomicLong streamReads, BooleanSupplier stopping) {
    this.history = history;
    this.broker = broker;
    this.stream = history.exchange().historyStream();
    this.pacing = pacing;
    this.streamReads = streamReads;
    this.stopping = stopping;
  }

  /** Replays that read on past live events the session dropped. */
  long extensions() {
    return extensions.get();
  }

  /** Hands a replayed request off to live delivery, reading on past dropped live events first. */
  void complete(Request request) throws InterruptedException {
    long droppedFrom;
    while ((droppedFrom = pacing.handOff(request, true, null)) != HandOff.NONE_DROPPED) {
      extensions.incrementAndGet();
      // Holding restarted before the head is read: every later live event is held again.
      Stored head = history.head();
      if (head == null || stopping.getAsBoolean()) {
        pacing.handOff(request, false, HistoryReader.UNAVAILABLE); // The history restarted, or the node stops.
        break;
      }
      long from = request.target == Long.MAX_VALUE ? droppedFrom : Math.min(droppedFrom, request.target + 1);
      // A live feed lagging behind the client's position may have dropped events it already has.
      from = Math.max(from, request.since.offset() + 1);
      request.target = Math.max(request.target == Long.MAX_VALUE ? -1 : request.target, head.offset());
      if (!replayRange(request, from)) {
        pacing.handOff(request, false, HistoryReader.UNAVAILABLE);
        break;
      }
    }
    request.finished = true;
  }

  /** Replays the request's events from {@code from} to its target, from the window or the stream. */
  private boolean replayRange(Request request, long from) throws InterruptedException {
    if (from > request.target) {
      return true; // Nothing the client lacks.
    }
    List<Stored> window = history.windowSnapshot();
    if (!window.isEmpty() && window.get(0).offset() <= from) {
      pacing.replayWindow(request, window, from - 1);
      return true;
    }
    streamReads.incrementAndGet();
    long lastRead = from - 1;
    try (HistoryCursor cursor = broker.openHistoryCursor(stream, from)) {
      while (lastRead < request.target) {
        if (stopping.getAsBoolean()) {
          return false;
        }
        HistoryEvent event = cursor.next(HistoryReader.READ_TIMEOUT);
        if (event == null) {
          log.warn("History stream {}: no event after offset {} within {} s", stream, lastRead, HistoryReader.READ_TIMEOUT.toSeconds());
          return false;
        }
        lastRead = event.offset();
        // A stream read may start before the offset asked for (at its chunk's start).
        if (event.offset() >= from && event.offset() <= request.target && event.routingKey().equals(request.subscription.routingKey())) {
          Stored stored = history.encode(event);
          if (stored != null) {
            pacing.replay(request, stored);
          }
        }
      }
      return true;
    } catch (BrokerException e) {
      log.warn("History stream {} could not be read: {}", stream, e.getMessage());
      return false;
    }
  }
}
