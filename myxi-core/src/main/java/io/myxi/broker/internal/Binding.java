package io.myxi.broker.internal;

import java.util.Objects;

/**
 * One recorded binding of a node queue: events published to {@code exchange} with
 * {@code routingKey} reach the queue. Recorded so it can be restored after recovery, as the AMQP
 * client's {@code RecordedBinding} is.
 */
public record Binding(String exchange, String routingKey) {
  public Binding {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
  }

  /** The form {@link io.myxi.broker.NodeQueue#bindings()} reports: {@code exchange + '\0' + routingKey}. */
  public String joined() {
    return exchange + '\0' + routingKey;
  }
}
