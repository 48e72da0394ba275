package io.myxi.broker.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/** Opens the node queues' AMQP connection, named as configured. */
public final class AmqpConnector implements Connector<Connection> {
  private final ConnectionFactory factory;
  private final String connectionName;

  public AmqpConnector(ConnectionFactory factory, String connectionName) {
    this.factory = factory;
    this.connectionName = connectionName;
  }

  @Override
  public Connection open(LossListener<Connection> onLost) throws Exception {
    Connection fresh = factory.newConnection(connectionName);
    // Runs on the client's connection thread; the supervisor only queues the loss for its own thread.
    fresh.addShutdownListener(cause -> onLost.lost(fresh, AmqpSupport.rootMessage(cause)));
    return fresh;
  }

  @Override
  public boolean isOpen(Connection connection) {
    return connection.isOpen();
  }

  @Override
  public void abort(Connection connection) {
    AmqpSupport.abortQuietly(connection);
  }
}
