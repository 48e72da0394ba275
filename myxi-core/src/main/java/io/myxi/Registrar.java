package io.myxi;

/**
 * Where actions and exchanges are registered, and nothing else: what a {@link MyxiSetup} receives
 * from the runnable server, which owns the broker, the exchange prefix and the other options.
 * {@link Myxi.Builder} implements it, so code that registers on a {@code Registrar} works on a
 * builder too.
 *
 * <p>Not thread-safe, like the builder. Each method refuses a blank name, a {@code null} handler or
 * authorizer and a name already registered with {@link IllegalArgumentException} (or {@link
 * NullPointerException}).
 */
public interface Registrar {
  /** Registers an action any session may call. */
  Registrar action(String name, ActionHandler handler);

  /** Registers an action only authenticated sessions may call; others get {@code AuthRequired}. */
  Registrar authenticatedAction(String name, ActionHandler handler);

  /** Registers an exchange and the authorizer that decides who may subscribe to its keys. */
  Registrar exchange(String name, Authorizer authorizer);

  /**
   * Registers an exchange that keeps its events for {@code history}, so clients can resume after
   * a reconnection (see docs/delivery.md). {@code history} null is the same as {@link
   * #exchange(String, Authorizer)}.
   */
  Registrar exchange(String name, Authorizer authorizer, Retention history);

  /**
   * {@code target} seen as a {@link Registrar} only: what a plug-in ({@code MyxiSetup}) is handed,
   * so it cannot cast it back to the {@link Myxi.Builder} and swap the broker or the options the
   * host chose. Registrations are forwarded as they are (and refused as the target refuses them).
   */
  static Registrar viewOf(Registrar target) {
    return new RegistrarView(target);
  }
}
