package io.myxi;

import java.util.Objects;

/** One (exchange, routing key) pair a session is subscribed to. */
public final class Subscription {
  private final String exchange;
  private final String routingKey;

  public Subscription(String exchange, String routingKey) {
    this.exchange = Objects.requireNonNull(exchange, "exchange");
    this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
  }

  public String exchange() {
    return exchange;
  }

  public String routingKey() {
    return routingKey;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Subscription s && s.exchange.equals(exchange) && s.routingKey.equals(routingKey);
  }

  @Override
  public int hashCode() {
    return exchange.hashCode() * 31 + routingKey.hashCode();
  }

  /** For log lines: the key is client input, so control characters are replaced and long keys cut. */
  @Override
  public String toString() {
    String key = routingKey.length() > 200 ? routingKey.substring(0, 200) + "..." : routingKey;
    return exchange + ":" + key.replaceAll("\\p{Cntrl}", "?");
  }
}
