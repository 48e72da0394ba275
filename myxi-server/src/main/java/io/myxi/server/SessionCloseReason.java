package io.myxi.server;

import java.util.Locale;

/** Why a session ended, as reported to {@link NodeListener#sessionClosed}. */
public enum SessionCloseReason {
  /** The client closed the WebSocket. */
  CLIENT_CLOSED(false),
  /** The TCP connection was lost (no pong within the connection-lost timeout, a reset). */
  CONNECTION_LOST(false),
  /** The application called {@code Session.close}. */
  APPLICATION(false),
  /** The node is shutting down (close code 1001). */
  SERVER_SHUTDOWN(false),
  /** The client did not read: its output buffer passed the limit (4001). */
  SLOW_CONSUMER(true),
  /** The client sent a message larger than the limit (1009). */
  MESSAGE_TOO_BIG(true),
  /** The client kept sending over its action rate limit (4002). */
  RATE_LIMITED(true),
  /** The client did not authenticate within the authentication timeout (4003). */
  AUTHENTICATION_TIMEOUT(true);

  private final boolean byNode;

  SessionCloseReason(boolean byNode) {
    this.byNode = byNode;
  }

  /** Whether the node ended the session because of the client's behaviour (counted in {@link NodeStats#closes()}). */
  public boolean byNode() {
    return byNode;
  }

  /** The lowercase name used in {@link NodeStats} and metrics, such as {@code slow_consumer}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
