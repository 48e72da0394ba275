package io.myxi.broker.internal;

import java.time.Duration;

/**
 * Whether RabbitMQ blocks the publishing connection (a resource alarm), and what a publish that
 * fails meanwhile says. Written by the client's connection thread, read anywhere.
 */
final class PublishBlocking {
  private volatile String reason;

  void blocked(String reason) {
    this.reason = reason;
  }

  void unblocked() {
    this.reason = null;
  }

  boolean isBlocked() {
    return reason != null;
  }

  String blockedMessage() {
    return "RabbitMQ is blocking publishers (" + reason + ")";
  }

  /** Why a publish got no confirm within {@code timeout}: the block, if any. */
  String noConfirmMessage(Duration timeout) {
    return reason != null ? blockedMessage() : "no confirm within " + timeout.toMillis() + " ms";
  }
}
