package io.myxi.broker.internal;

import java.time.Duration;

/**
 * The options of {@link io.myxi.broker.RabbitMqBroker.Builder} the broker's parts read, as built.
 * The connection options (timeouts, heartbeat, credentials, TLS) are applied to the connection
 * factory instead.
 *
 * @param addresses the broker nodes every new connection may go to, and in which order
 * @param packDelay null: one AMQP message per event, in the gem's format; else events of exchanges
 *     without history published within this delay of each other travel in one packed message
 *     ({@link PackedEvents})
 * @param routingBuckets 0: a node binds each routing key; else it binds this many buckets per
 *     exchange and publishers route packed messages by bucket
 */
public record RabbitMqSettings(
    BrokerAddresses addresses,
    String connectionName,
    Duration initialRecoveryDelay,
    Duration maxRecoveryDelay,
    boolean exchangeDurable,
    boolean exchangeAutoDelete,
    int prefetch,
    Duration packDelay,
    int routingBuckets) {

  /** Whether events of exchanges without history are published packed (several in one message). */
  public boolean packed() {
    return packDelay != null;
  }

  /** The broker's URIs without their passwords, for logs and messages. */
  public String description() {
    return addresses.description();
  }
}
