package io.myxi;

/** Names of the events the server itself sends. See docs/protocol.md. */
public final class Events {
  public static final String WELCOME = "Welcome";
  public static final String ERROR = "Error";
  public static final String INTERNAL_ERROR = "InternalError";
  public static final String SUBSCRIBED = "Subscribed";
  public static final String UNSUBSCRIBED = "Unsubscribed";
  public static final String YOUR_SUBSCRIPTIONS = "YourSubscriptions";
  public static final String PONG = "Pong";
  /** The reply to the node's default {@code Logout} action: the session is no longer authenticated. */
  public static final String LOGGED_OUT = "LoggedOut";
  /** Events published between {@code from} and {@code to} may not have reached this session. */
  public static final String MISSED_EVENTS = "MissedEvents";

  private Events() {}
}
