package io.myxi.broker.internal;

/**
 * Opens the connections a {@link ConnectionSupervisor} watches. {@link AmqpConnector} is the real
 * one; tests pass a fake, so the supervisor is tested without a network.
 *
 * @param <C> the connection type
 */
public interface Connector<C> {
  /**
   * Opens a connection. {@code onLost} must be called once when it closes for any reason, on any
   * thread (even before this method returns, if it dies at once).
   */
  C open(LossListener<C> onLost) throws Exception;

  boolean isOpen(C connection);

  /** The broker node a connection went to ({@code host:port}), for logs; "" when unknown. */
  default String addressOf(C connection) {
    return "";
  }

  /** Closes without waiting long for the other side; never throws. */
  void abort(C connection);

  /** Told that a connection closed. Must return quickly: it runs on the client's own thread. */
  @FunctionalInterface
  interface LossListener<C> {
    void lost(C connection, String reason);
  }
}
