package io.myxi;

/**
 * Handles one client action. Called on a Myxi worker thread, never on a WebSocket I/O thread or
 * the broker's dispatch thread, so it may block (database look-ups). Actions of one session are
 * called one after another in arrival order. An exception is logged with an id and answered with
 * {@code InternalError} carrying only that id.
 */
@FunctionalInterface
public interface ActionHandler {
  void handle(ActionRequest request) throws Exception;
}
