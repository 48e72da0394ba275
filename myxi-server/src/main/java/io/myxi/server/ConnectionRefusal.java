package io.myxi.server;

import java.util.Locale;

/** Why a connection was refused before it became a session ({@link NodeListener#connectionRefused}). */
public enum ConnectionRefusal {
  /** Its Origin header is not allowed: answered 403. */
  ORIGIN_REFUSED,
  /** Its WebSocket handshake did not complete within the handshake timeout. */
  HANDSHAKE_TIMEOUT,
  /** Its opening handshake was larger than allowed: answered 431. */
  HANDSHAKE_TOO_LARGE,
  /** The node holds its maximum of connections: closed with 4004. */
  TOO_MANY_CONNECTIONS,
  /** The client's address (its /64 for IPv6) holds its maximum of connections: closed with 4004. */
  TOO_MANY_CONNECTIONS_FROM_ADDRESS,
  /** The node is draining for shutdown: closed with 1001. */
  DRAINING;

  /** The lowercase name used in {@link NodeStats#closes()} and metrics, such as {@code origin_refused}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
