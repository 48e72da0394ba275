package io.myxi;

import java.util.Objects;

/** A registered exchange: its Myxi name, its broker name (with the prefix) and its authorizer. */
public final class ExchangeDefinition {
  private final String name;
  private final String brokerName;
  private final Authorizer authorizer;

  ExchangeDefinition(String name, String brokerName, Authorizer authorizer) {
    this.name = name;
    this.brokerName = brokerName;
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
  }

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
