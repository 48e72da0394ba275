package io.myxi.broker;

import java.time.Duration;

/**
 * A sequential read of a history stream from a given offset, for replaying what a client missed.
 * The broker sends only a bounded number of events ahead of {@link #next}, so a reader that stops
 * asking stops the transfer. Used by one thread at a time; see {@link Broker#openHistoryCursor}.
 */
public interface HistoryCursor extends AutoCloseable {
  /**
   * The next event at or after the offset the cursor was opened at, waiting at most
   * {@code timeout}; null if none came in time (the end of the stream, or the broker is slow).
   *
   * @throws BrokerException the read failed (the connection or the stream is gone)
   */
  HistoryEvent next(Duration timeout) throws InterruptedException;

  /** Bytes of event bodies received so far. */
  long bytesRead();

  @Override
  void close();
}
