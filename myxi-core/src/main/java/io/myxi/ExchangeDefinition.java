package io.myxi;

import java.util.Objects;
import java.util.Optional;

/**
 * A registered exchange: its Myxi name, its broker name (with the prefix), its authorizer and, if
 * it keeps history, its retention.
 */
public final class ExchangeDefinition {
  private final String name;
  private final String brokerName;
  private final Authorizer authorizer;
  private final Retention history;

  ExchangeDefinition(String name, String brokerName, Authorizer authorizer, Retention history) {
    this.name = name;
    this.brokerName = brokerName;
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    this.history = history;
  }

  /** The retention of the exchange's history, or empty if it keeps none (the default). */
  public Optional<Retention> history() {
    return Optional.ofNullable(history);
  }

  /** The RabbitMQ stream holding the history: {@code myxi.history.} followed by {@link #brokerName()}. */
  public String historyStream() {
    return HISTORY_STREAM_PREFIX + brokerName;
  }

  /** What the names of history streams begin with. */
  public static final String HISTORY_STREAM_PREFIX = "myxi.history.";

  /** The name clients subscribe with. */
  public String name() {
    return name;
  }

  /** The name of the exchange on the broker: the configured prefix followed by {@link #name()}. */
  public String brokerName() {
    return brokerName;
  }

  public Authorizer authorizer() {
    return authorizer;
  }
}
