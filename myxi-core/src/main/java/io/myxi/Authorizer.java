package io.myxi;

/**
 * Decides whether a session may subscribe to a routing key of an exchange. Called on a Myxi worker
 * thread, never on a WebSocket I/O thread or the broker's dispatch thread, so it may block. Called
 * again by re-authorization while the subscription lasts. Throwing counts as a refusal and is
 * logged.
 */
@FunctionalInterface
public interface Authorizer {
  boolean authorize(Session session, String routingKey) throws Exception;

  /** Allows every session, authenticated or not. */
  static Authorizer allowAll() {
    return (session, routingKey) -> true;
  }

  /** Allows any authenticated session. */
  static Authorizer authenticated() {
    return (session, routingKey) -> session.isAuthenticated();
  }
}
