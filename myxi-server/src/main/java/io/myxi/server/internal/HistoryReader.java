package io.myxi.server.internal;

import io.myxi.Subscription;
import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import io.myxi.broker.HistoryCursor;
import io.myxi.broker.HistoryEvent;
import io.myxi.server.internal.ExchangeHistory.Position;
import io.myxi.server.internal.ExchangeHistory.Stored;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays what recovering subscriptions of one exchange missed, for the whole node: one thread,
 * one sequential read of the stream at a time, shared by every request it covers.
 *
 * <p>A request is a position (offset and tag) and the node's head when the subscription was added
 * (later events reach the session live, held back until the replay ends). Requests arriving within
 * {@link #BATCH_WINDOW} form one batch; positions inside the node's window of recent events are
 * checked and replayed from memory; the others are served by one cursor opened at the smallest of
 * them, which requests arriving during the read join when it has not passed their position yet.
 * Each event read is encoded once and queued to the sessions whose key it is. The read pauses
 * while a session has more than half its output buffer waiting, so a client far behind catches up
 * at its own pace and is never closed as a slow consumer by its own replay. The live events held
 * back meanwhile are bounded too (see {@link HandOff}): when the session dropped some, the request's
 * target moves to the node's current head and the replay reads on, until the hand-off succeeds.
 */
final class HistoryReader {
  private static final Logger log = LoggerFactory.getLogger(HistoryReader.class);
  static final Duration BATCH_WINDOW = Duration.ofMillis(20);
  private static final Duration MAX_BATCH_WAIT = Duration.ofMillis(200);
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Events a read keeps while it runs, so a request arriving after the read passed its position
   * joins it (its first events replayed from here) instead of opening another read.
   */
  private static final long READ_CACHE_BYTES = 64L << 20;
  /** A kept read no request used for this long is dropped. */
  private static final Duration RECENT_READ_IDLE = Duration.ofSeconds(30);
  /** Without a known end (the node has read nothing yet), the end of the stream is where it goes quiet. */
  private static final Duration END_QUIET = Duration.ofMillis(300);

  /** Reasons a position cannot be resumed, as sent in {@code Subscribed {recovered:false, reason}}. */
  static final String TOO_OLD = "too_old";
  static final String EPOCH = "epoch";
  static final String NO_HISTORY = "no_history";
  static final String UNAVAILABLE = "unavailable";

  /** Called on the reader's thread when a request's replay is complete or impossible. */
  interface Completion {
    /**
     * Hands off to live delivery; returns {@link HandOff#NONE_DROPPED}, or (recovered only) the
     * first offset of live events the session dropped meanwhile: the replay must read on from
     * there to the current head and call again.
     */
    long done(boolean recovered, String reason);
  }

  /** One recovering subscription. */
  static final class Request {
    final SessionImpl session;
    final Subscription subscription;
    final Position since;
    /** The last offset to replay; moves to the head when live events were dropped meanwhile. */
    long target;
    final Completion completion;
    boolean verified;
    boolean finished;
    /** The last offset already replayed to it from memory; events after it are still needed. */
    long resumeAfter = -1;

    Request(SessionImpl session, Subscription subscription, Position since, long target, Completion completion) {
      this.session = session;
      this.subscription = subscription;
      this.since = since;
      this.target = target;
      this.completion = completion;
    }
  }

  private final ExchangeHistory history;
  private final Broker broker;
  private final String stream;
  /** Paces replays to each session and hands recoveries off (see {@link ReplayPacing}). */
  private final ReplayPacing pacing;
  /** Reads on past live events dropped during a replay (see {@link HandOffExtension}). */
  private final HandOffExtension extension;
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicLong streamReads = new AtomicLong();
  private volatile boolean closed;
  /** What the last reads fetched, for recoveries that come a little later; reader thread only. */
  private final KeptRead kept = new KeptRead(READ_CACHE_BYTES, RECENT_READ_IDLE);

  HistoryReader(ExchangeHistory history, Broker broker, long maxBufferedBytes) {
    this.history = history;
    this.broker = broker;
    this.stream = history.exchange().historyStream();
    this.pacing = new ReplayPacing(history.exchange().brokerName(), maxBufferedBytes, () -> closed);
    this.extension = new HandOffExtension(history, broker, pacing, streamReads, () -> closed);
    this.thread = new Thread(this::run, "myxi-history-" + history.exchange().name());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void submit(Request request) {
    if (closed) {
      request.completion.done(false, UNAVAILABLE);
      return;
    }
    requests.add(request);
  }

  /** Sequential reads of the stream opened so far (each serving a batch). */
  long streamReads() {
    return streamReads.get();
  }

  long replayedEvents() {
    return pacing.replayedEvents();
  }

  /** Replays that read on past live events the session dropped (its hand-off passed its bound). */
  long extensions() {
    return extension.extensions();
  }

  void close() {
    closed = true;
    thread.interrupt();
  }

  private void run() {
    while (!closed) {
      List<Request> batch = new ArrayList<>();
      try {
        batch.add(requests.take());
        // Gather while requests keep coming (a node's clients reconnect within moments), bounded.
        long end = System.nanoTime() + MAX_BATCH_WAIT.toNanos();
        for (Request more; System.nanoTime() < end && (more = requests.poll(BATCH_WINDOW.toNanos(), TimeUnit.NANOSECONDS)) != null; ) {
          batch.add(more);
        }
        requests.drainTo(batch);
        serve(batch);
      } catch (InterruptedException e) {
        failAll(batch, UNAVAILABLE);
        break;
      } catch (RuntimeException e) {
        log.error("History replay of {} failed", stream, e);
        failAll(batch, UNAVAILABLE);
      }
    }
    List<Request> left = new ArrayList<>();
    requests.drainTo(left);
    failAll(left, UNAVAILABLE);
  }

  private void serve(List<Request> batch) throws InterruptedException {
    kept.dropIfIdle();
    List<Stored> window = history.windowSnapshot();
    long windowStart = window.isEmpty() ? Long.MAX_VALUE : window.get(0).offset();
    long windowEnd = window.isEmpty() ? -1 : window.get(window.size() - 1).offset();
    List<Request> fromStream = new ArrayList<>();
    for (Request request : batch) {
      long offset = request.since.offset();
      if (offset >= windowStart && offset <= windowEnd) {
        verifyInWindow(request, window);
      } else if (kept.covers(offset)) {
        // Covered by an earlier read: no broker read for this part.
        kept.forEachFrom(offset, event -> deliver(event, List.of(request)));
        long recentEnd = kept.last();
        request.resumeAfter = recentEnd;
        if (!request.finished && recentEnd + 1 < windowStart && recentEnd < request.target) {
          fromStream.add(request);
        }
      } else {
        fromStream.add(request);
      }
    }
    long streamEnd = -1;
    if (!fromStream.isEmpty()) {
      streamEnd = readStream(fromStream, batch, windowStart);
    }
    // Requests that joined the read may need newer events than the first copy of the window.
    List<Stored> current = fromStream.isEmpty() ? window : history.windowSnapshot();
    for (Request request : batch) {
      if (!request.finished) {
        long after = Math.max(Math.max(request.since.offset(), request.resumeAfter), fromStream.contains(request) ? streamEnd : -1);
        if (!current.isEmpty() && current.get(0).offset() > after + 1 && request.target > after) {
          // The window moved past the end of the read (a tiny window under heavy traffic).
          finish(request, false, UNAVAILABLE);
          continue;
        }
        pacing.replayWindow(request, current, after);
        extension.complete(request);
      }
    }
  }

  private void verifyInWindow(Request request, List<Stored> window) {
    int low = 0;
    int high = window.size() - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      long offset = window.get(middle).offset();
      if (offset < request.since.offset()) {
        low = middle + 1;
      } else if (offset > request.since.offset()) {
        high = middle - 1;
      } else {
        if (window.get(middle).tag().equals(request.since.tag())) {
          request.verified = true;
        } else {
          finish(request, false, EPOCH);
        }
        return;
      }
    }
    // An offset the node never kept (an invalid body it dropped): no event to check it against.
    finish(request, false, EPOCH);
  }

  /**
   * One cursor from the smallest position of {@code group} up to the window's start (or the
   * furthest target without a window); returns the last offset read.
   */
  private long readStream(List<Request> group, List<Request> batch, long windowStart) throws InterruptedException {
    long from = Long.MAX_VALUE;
    for (Request request : group) {
      from = Math.min(from, request.verified ? request.resumeAfter + 1 : request.since.offset());
    }
    long stopAt = stopAt(group, windowStart);
    long lastRead = from - 1;
    streamReads.incrementAndGet();
    try (HistoryCursor cursor = broker.openHistoryCursor(stream, from)) {
      while (lastRead < stopAt) {
        stopAt = join(group, batch, lastRead, windowStart, stopAt);
        boolean openEnded = stopAt == Long.MAX_VALUE && allVerified(group);
        HistoryEvent event = cursor.next(openEnded ? END_QUIET : READ_TIMEOUT);
        if (event == null && openEnded) {
          return lastRead;
        }
        if (event == null) {
          log.warn("History stream {}: no event after offset {} within {} s", stream, lastRead, READ_TIMEOUT.toSeconds());
          failUnfinished(group, UNAVAILABLE);
          return lastRead;
        }
        lastRead = event.offset();
        kept.keep(event);
        deliver(event, group);
        if (allFinished(group)) {
          return lastRead;
        }
      }
    } catch (BrokerException e) {
      log.warn("History stream {} could not be read: {}", stream, e.getMessage());
      failUnfinished(group, UNAVAILABLE);
    }
    return lastRead;
  }

  private static long stopAt(List<Request> group, long windowStart) {
    long stop = -1;
    for (Request request : group) {
      stop = Math.max(stop, request.since.offset());
      if (windowStart == Long.MAX_VALUE) {
        stop = Math.max(stop, request.target);
      }
    }
    return windowStart == Long.MAX_VALUE ? stop : Math.max(stop, windowStart - 1);
  }

  /**
   * Requests that arrived during the read join it: at once when it has not passed their position
   * yet, else after catching up from what this read already fetched.
   */
  private long join(List<Request> group, List<Request> batch, long lastRead, long windowStart, long stopAt) {
    Request next;
    List<Request> later = null;
    while ((next = requests.poll()) != null) {
      long offset = next.since.offset();
      boolean ahead = offset > lastRead && offset < windowStart;
      // Passed already: joins if what this read fetched so far is kept, up to where it is now.
      boolean cached = !ahead && offset < windowStart && kept.covers(offset) && offset <= lastRead && kept.last() == lastRead;
      if (ahead || cached) {
        group.add(next);
        batch.add(next);
        stopAt = Math.max(stopAt, stopAt(List.of(next), windowStart));
        if (cached) {
          Request joining = next;
          kept.forEachFrom(offset, event -> deliver(event, List.of(joining)));
        }
      } else {
        (later == null ? later = new ArrayList<>() : later).add(next);
      }
    }
    if (later != null) {
      requests.addAll(later); // For the next batch.
    }
    return stopAt;
  }

  private void deliver(HistoryEvent event, List<Request> group) {
    Stored stored = null;
    for (Request request : group) {
      if (request.finished) {
        continue;
      }
      if (!request.verified) {
        if (event.offset() < request.since.offset()) {
          continue;
        }
        if (event.offset() == request.since.offset() && event.tag().equals(request.since.tag())) {
          request.verified = true;
        } else {
          finish(request, false, event.offset() > request.since.offset() ? TOO_OLD : EPOCH);
        }
        continue;
      }
      // A read shared with requests that start further back passes events this one's client
      // already has (at or before its position) or was already sent (from a kept read): skip them.
      if (event.offset() <= Math.max(request.since.offset(), request.resumeAfter)) {
        continue;
      }
      if (event.offset() <= request.target && event.routingKey().equals(request.subscription.routingKey())) {
        if (stored == null) {
          stored = history.encode(event);
          if (stored == null) {
            return;
          }
        }
        pacing.replay(request, stored);
      }
    }
  }

  private static boolean allVerified(List<Request> group) {
    for (Request request : group) {
      if (!request.finished && !request.verified) {
        return false;
      }
    }
    return true;
  }

  private static boolean allFinished(List<Request> group) {
    for (Request request : group) {
      if (!request.finished) {
        return false;
      }
    }
    return true;
  }

  private void failUnfinished(List<Request> group, String reason) {
    for (Request request : group) {
      if (!request.finished) {
        finish(request, false, reason);
      }
    }
  }

  private void failAll(List<Request> batch, String reason) {
    for (Iterator<Request> it = batch.iterator(); it.hasNext(); ) {
      Request request = it.next();
      if (!request.finished) {
        finish(request, false, reason);
      }
    }
  }

  private void finish(Request request, boolean recovered, String reason) {
    request.finished = true;
    pacing.handOff(request, recovered, reason);
  }
}
