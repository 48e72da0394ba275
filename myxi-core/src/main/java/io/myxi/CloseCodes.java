package io.myxi;

/** WebSocket close codes a Myxi node uses. See docs/protocol.md. */
public final class CloseCodes {
  /** Closed by the application through {@link Session#close()}. */
  public static final int NORMAL = 1000;
  /** The node is shutting down; the client should reconnect, possibly to another node. */
  public static final int GOING_AWAY = 1001;
  /** Sent by the WebSocket library for a frame that breaks RFC 6455. */
  public static final int PROTOCOL_ERROR = 1002;
  /** Sent by the WebSocket library for a text frame that is not valid UTF-8. */
  public static final int INVALID_PAYLOAD = 1007;
  /** An incoming message exceeded the node's maximum message size. */
  public static final int MESSAGE_TOO_BIG = 1009;
  /** More outgoing bytes were waiting for this client than its buffer limit allows. */
  public static final int SLOW_CONSUMER = 4001;
  /** The client kept sending actions far above its rate limit. */
  public static final int RATE_LIMITED = 4002;
  /** The session did not authenticate within the configured deadline. */
  public static final int AUTHENTICATION_TIMEOUT = 4003;
  /** The node's connection cap was reached. */
  public static final int TOO_MANY_CONNECTIONS = 4004;

  private CloseCodes() {}
}
