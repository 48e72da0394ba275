package io.myxi.server;

import java.util.Locale;

/** How an action ended ({@link NodeListener#actionRun}). */
public enum ActionOutcome {
  /** The handler returned (whatever it replied, errors included). */
  COMPLETED,
  /** The handler threw; the client got {@code InternalError} with an error id. */
  FAILED,
  /** Not run: the action needs an authenticated session. */
  AUTH_REQUIRED;

  /** The lowercase name used in metrics, such as {@code completed}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
