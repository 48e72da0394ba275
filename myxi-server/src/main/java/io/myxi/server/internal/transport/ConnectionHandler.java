package io.myxi.server.internal.transport;

import java.net.InetAddress;

/**
 * What the transport reports to: the engine. Called on the socket library's selector and decoder
 * threads, so every method only checks, records and hands work over; none may block.
 */
public interface ConnectionHandler {
  /** A WebSocket handshake completed; {@code client} is the peer or its forwarded address. */
  void onOpen(Connection connection, InetAddress client);

  /** A text message (or a binary one, decoded as UTF-8) arrived. */
  void onMessage(Connection connection, String text);

  /** The connection closed, for whatever reason, with the close code the library reports. */
  void onClose(Connection connection, int code, boolean byPeer);

  /** A connection was refused before it became a session. */
  void onRefused(Refusal refusal);

  /** Why the transport refused a connection before its handshake completed. */
  enum Refusal {
    /** The Origin header is not allowed: answered 403. */
    ORIGIN,
    /** The handshake did not complete within the handshake timeout. */
    HANDSHAKE_TIMEOUT,
    /** The handshake was larger than allowed: answered 431. */
    HANDSHAKE_TOO_LARGE
  }
}
