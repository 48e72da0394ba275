package io.myxi.server.internal.transport;

/**
 * One client connection as the engine sees it: a sink for encoded text frames with an exact count
 * of what waits to be written, and ways to close. The engine knows nothing else of the socket
 * library behind it.
 *
 * <p>Thread-safe: every method may be called from any thread, and none blocks.
 */
public interface Connection {
  /**
   * Queues one complete UTF-8 text frame. The bytes are not copied and must never change
   * afterwards: one encoding may be shared by every subscriber of a broadcast. Returns false when
   * the connection closed meanwhile and the frame was not queued.
   */
  boolean sendText(byte[] utf8);

  /**
   * Queues a frame as {@link #sendText} does, and writes it on the calling thread if the socket is
   * free and takes it at once (else the transport's writer does, as for {@link #sendText}). For a
   * sender that reaches few connections at a time: one event for one session. A sender reaching
   * many must use {@link #sendText}, or its writes are serialised on its own thread.
   */
  default boolean sendTextNow(byte[] utf8) {
    return sendText(utf8);
  }

  /**
   * Queues a reply frame as {@link #sendText} does, and asks for it to be written ahead of other
   * connections' queued events (a client's set-up waits on its replies, not on broadcasts). Frames
   * of this connection keep their order.
   */
  default boolean sendReply(byte[] utf8) {
    return sendText(utf8);
  }

  /** Bytes queued for the peer (handshake response and frames) that the socket has not taken yet. */
  long bufferedBytes();

  /** Starts the closing handshake with {@code code}: the close frame follows what is queued. */
  void close(int code, String reason);

  /** Drops the TCP connection at once, without a closing handshake. */
  void abort(int code, String reason);

  /** Open: the handshake completed and no close started. */
  boolean isOpen();

  /** The TCP connection is gone. */
  boolean isClosed();

  /** Stores the engine's object for this connection (its session). */
  void attach(Object attachment);

  /** The object given to {@link #attach}, or null. */
  Object attachment();
}
