package io.myxi.broker.internal;

import com.rabbitmq.client.ConnectionFactory;
import java.time.Duration;
import java.util.Objects;

/**
 * The connection factory a {@link io.myxi.broker.RabbitMqBroker} is built with: the one given, or
 * the one its URIs describe, checked to agree, with the builder's timeouts applied.
 */
public final class ConnectionFactories {
  private ConnectionFactories() {}

  /**
   * @param given the factory set with {@code connectionFactory}, or null
   * @param fromUris the factory the URIs describe, or null (not both: the builder checks)
   * @param addresses the broker's addresses (for the message when they disagree)
   * @throws IllegalStateException both are set and disagree on the user or the virtual host
   */
  public static ConnectionFactory prepare(ConnectionFactory given, ConnectionFactory fromUris, BrokerAddresses addresses,
      Duration connectionTimeout, Duration heartbeat, Duration rpcTimeout) {
    ConnectionFactory factory = given != null ? given : fromUris;
    if (given != null && fromUris != null
        && (!Objects.equals(given.getUsername(), fromUris.getUsername()) || !Objects.equals(given.getVirtualHost(), fromUris.getVirtualHost()))) {
      throw new IllegalStateException("uris and connectionFactory disagree on the user or the virtual host: the factory's ("
          + given.getUsername() + ", " + given.getVirtualHost() + ") would be used for " + addresses.description());
    }
    factory.setConnectionTimeout((int) connectionTimeout.toMillis());
    factory.setRequestedHeartbeat((int) Math.max(1, heartbeat.toSeconds()));
    factory.setChannelRpcTimeout((int) rpcTimeout.toMillis());
    factory.setHandshakeTimeout((int) connectionTimeout.toMillis());
    return factory;
  }
}
