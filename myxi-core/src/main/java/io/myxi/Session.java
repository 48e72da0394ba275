package io.myxi;

import java.net.InetAddress;
import java.util.Optional;
import java.util.Set;

/**
 * One WebSocket connection. All methods are thread-safe; {@link #send} never blocks.
 */
public interface Session {
  /** 16 lowercase hex characters, sent to the client in {@code Welcome}. */
  String id();

  /**
   * The client's address: the socket's peer, or the last untrusted address in X-Forwarded-For
   * when the peer is one of the node's configured trusted proxies.
   */
  InetAddress remoteAddress();

  /** The object the application stored at authentication (typically its user), if any. */
  Optional<Object> auth();

  /** Typed access to {@link #auth()}. */
  default <T> Optional<T> auth(Class<T> type) {
    return auth().filter(type::isInstance).map(type::cast);
  }

  /**
   * Marks the session authenticated as {@code user}; null logs it out. Every call re-checks the
   * session's subscriptions with their authorizers and revokes those refused ({@code Unsubscribed}
   * with {@code auto: true}): called from an action, right after that action (so its reply comes
   * first); called from elsewhere, in the session's order, as {@link #reauthorize()}.
   */
  void setAuth(Object user);

  default boolean isAuthenticated() {
    return auth().isPresent();
  }

  /** A per-session attribute, or null. */
  Object attribute(String name);

  /** Sets a per-session attribute; null removes it. */
  void setAttribute(String name, Object value);

  /** Queues {@code {"event":event,"payload":payload}} for the client. Never blocks. */
  void send(String event, Object payload);

  /** A snapshot of the session's current subscriptions. */
  Set<Subscription> subscriptions();

  /** Closes the connection with code 1000. */
  default void close() {
    close(CloseCodes.NORMAL, "");
  }

  void close(int code, String reason);

  boolean isOpen();

  /** Runs {@code callback} once when the session has closed (at once if it already has). */
  void onClose(Runnable callback);

  /**
   * Runs {@code task} in this session's order: on a worker thread, after the actions and tasks
   * queued for this session before it, and never at the same time as another of them. Returns at
   * once. Use it to change a session's state from another thread (a timer, a message from
   * elsewhere) without racing its actions. An exception {@code task} throws is logged. Tasks
   * queued after the node stopped are dropped.
   */
  void execute(Runnable task);

  /**
   * Runs the authorizers of this session's subscriptions again, in this session's order (after
   * what is already queued for it), and revokes those they refuse: the client gets {@code
   * Unsubscribed} with {@code auto: true}. Returns at once. Call it when the session's rights
   * changed, for example when its authentication expired. Does nothing once the session closed.
   */
  void reauthorize();
}
