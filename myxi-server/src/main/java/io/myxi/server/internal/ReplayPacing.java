package io.myxi.server.internal;

import io.myxi.server.internal.ExchangeHistory.Stored;
import io.myxi.server.internal.HistoryReader.Request;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends replayed events to a recovering session at its own pace, and hands the recovery off to
 * live delivery when the session's buffer has room for it. Runs on the history reader's thread.
 *
 * <p>The replay pauses while more than half the session's output buffer waits, so a client far
 * behind catches up without being closed as a slow consumer by its own replay. The hand-off waits
 * for the buffer to fall to a quarter: the live events it then queues at once (at most half the
 * buffer, see {@link HandOff}) and the reply must fit in what is left.
 */
final class ReplayPacing {
  // Logged as the reader's: one place for everything about replays.
  private static final Logger log = LoggerFactory.getLogger(HistoryReader.class);
  private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final String brokerExchange;
  private final long pauseAboveBytes;
  private final long handOffAtBytes;
  /** True once the reader stops: nothing waits any more. */
  private final BooleanSupplier stopping;
  private final AtomicLong replayedEvents = new AtomicLong();

  ReplayPacing(String brokerExchange, long maxBufferedBytes, BooleanSupplier stopping) {
    this.brokerExchange = brokerExchange;
    this.pauseAboveBytes = maxBufferedBytes / 2;
    this.handOffAtBytes = maxBufferedBytes / 4;
    this.stopping = stopping;
  }

  long replayedEvents() {
    return replayedEvents.get();
  }

  /** Replays the events of {@code window} after offset {@code after} that the request lacks. */
  void replayWindow(Request request, List<Stored> window, long after) {
    for (Stored stored : window) {
      if (stored.offset() > after && stored.offset() <= request.target && stored.routingKey().equals(request.subscription.routingKey())) {
        replay(request, stored);
      }
    }
  }

  void replay(Request request, Stored stored) {
    SessionImpl session = request.session;
    while (session.bufferedBytes() > pauseAboveBytes && session.isOpen() && !stopping.getAsBoolean()) {
      LockSupport.parkNanos(PAUSE_NANOS); // Paging: the client reads at its own pace.
    }
    if (session.sendReplayedEvent(stored.frame(), request.subscription, stored.offset(), brokerExchange)) {
      replayedEvents.incrementAndGet();
    }
  }

  /** See {@link HistoryReader.Completion#done}: called once the session's buffer has room. */
  long handOff(Request request, boolean recovered, String reason) {
    SessionImpl session = request.session;
    while (session.bufferedBytes() > handOffAtBytes && session.isOpen() && !stopping.getAsBoolean()) {
      LockSupport.parkNanos(PAUSE_NANOS);
    }
    try {
      return request.completion.done(recovered, reason);
    } catch (RuntimeException e) {
      log.error("Completing the recovery of {} for session {} failed", request.subscription, request.session.id(), e);
      return HandOff.NONE_DROPPED;
    }
  }
}
