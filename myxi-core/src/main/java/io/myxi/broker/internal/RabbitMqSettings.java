package io.myxi.broker.internal;

import java.time.Duration;

/**
 * The options of {@link io.myxi.broker.RabbitMqBroker.Builder} the broker's parts read, as built.
 * The connection options (timeouts, heartbeat, credentials, TLS) are applied to the connection
 * factory instead.
 *
 * @param addresses the broker nodes every new connection may go to, and in which order
 */
public record RabbitMqSettings(
    BrokerAddresses addresses,
    String connectionName,
    Duration initialRecoveryDelay,
    Duration maxRecoveryDelay,
    boolean exchangeDurable,
    boolean exchangeAutoDelete,
    int prefetch) {

  /** The broker's URIs without their passwords, for logs and messages. */
  public String description() {
    return addresses.description();
  }
}
