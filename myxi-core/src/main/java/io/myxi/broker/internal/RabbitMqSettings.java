package io.myxi.broker.internal;

import java.time.Duration;

/**
 * The options of {@link io.myxi.broker.RabbitMqBroker.Builder} the broker's parts read, as built.
 * The connection options (timeouts, heartbeat) are applied to the connection factory instead.
 *
 * @param description the broker's URI without its password, for logs and messages
 */
public record RabbitMqSettings(
    String description,
    String connectionName,
    Duration initialRecoveryDelay,
    Duration maxRecoveryDelay,
    boolean exchangeDurable,
    boolean exchangeAutoDelete,
    int prefetch) {}
