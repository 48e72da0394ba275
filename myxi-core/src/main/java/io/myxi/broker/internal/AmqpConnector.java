package io.myxi.broker.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * Opens the node queues' AMQP connection, named as configured, to the first of the broker's
 * addresses that accepts (see {@link BrokerAddresses}): after a loss the next connection goes to
 * a surviving node of a cluster. Its consumers' callbacks run on the connection's reader thread
 * ({@link ReaderThreadExecutor}, which says why that is safe and what it asks of them).
 */
public final class AmqpConnector implements Connector<Connection> {
  private final ConnectionFactory factory;
  private final BrokerAddresses addresses;
  private final String connectionName;
  /** Deliveries are handled where they are read: no dispatch thread to wake per delivery. */
  private final ReaderThreadExecutor consumerExecutor = new ReaderThreadExecutor();

  public AmqpConnector(ConnectionFactory factory, BrokerAddresses addresses, String connectionName) {
    this.factory = factory;
    this.addresses = addresses;
    this.connectionName = connectionName;
  }

  @Override
  public Connection open(LossListener<Connection> onLost) throws Exception {
    Connection fresh = addresses.connect(factory, connectionName, consumerExecutor);
    // Runs on the client's connection thread; the supervisor only queues the loss for its own thread.
    fresh.addShutdownListener(cause -> onLost.lost(fresh, AmqpSupport.rootMessage(cause)));
    return fresh;
  }

  @Override
  public boolean isOpen(Connection connection) {
    return connection.isOpen();
  }

  @Override
  public String addressOf(Connection connection) {
    return AmqpSupport.addressOf(connection);
  }

  @Override
  public void abort(Connection connection) {
    AmqpSupport.abortQuietly(connection);
  }
}
