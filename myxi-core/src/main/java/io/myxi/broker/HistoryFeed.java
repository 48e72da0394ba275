package io.myxi.broker;

/**
 * A node's live reading of one history stream, from the moment it was opened (or from where it
 * left off after a broker fault: it resumes at its last offset + 1, so a fault loses nothing that
 * the stream still holds). Thread-safe; see {@link Broker#openHistoryFeed}.
 */
public interface HistoryFeed extends AutoCloseable {
  /** The offset of the last event handed to the listener, or -1 before the first. */
  long lastOffset();

  boolean isConnected();

  /** Stops reading. Safe to call twice. */
  @Override
  void close();

  /** Receives a history stream's events, in stream order, one at a time. */
  interface Listener {
    /**
     * One event, on a broker thread (with RabbitMQ, the connection's reader, which also reads
     * every answer of that connection): must not block. An exception is logged and the event
     * dropped.
     */
    void onEvent(HistoryEvent event);

    /**
     * The feed could not resume where it left off: the stream was deleted and created again, or
     * the events after the last one it read are already past the retention. Events from here on
     * continue with the next {@link #onEvent}; positions handed out before are no longer valid.
     */
    default void onReset(String reason) {}
  }
}
