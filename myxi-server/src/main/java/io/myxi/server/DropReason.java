package io.myxi.server;

import java.util.Locale;

/** Why a delivery from the broker reached no session ({@link NodeListener#deliveryDropped}). */
public enum DropReason {
  /** The body is not {@code {"event":..,"payload":..}} JSON. */
  INVALID_BODY,
  /** No session of this node subscribes to it (also normal: events in flight while the last subscriber leaves). */
  NO_SUBSCRIBERS,
  /** No exchange of that broker name is registered. */
  UNKNOWN_EXCHANGE,
  /** Larger than a session's whole output buffer. */
  TOO_LARGE,
  /** Not for every subscriber: one session was closed as a slow consumer instead of receiving it. */
  SLOW_CONSUMER;

  /** The lowercase name used in {@link NodeStats#deliveriesDropped()} and metrics, such as {@code invalid_body}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
