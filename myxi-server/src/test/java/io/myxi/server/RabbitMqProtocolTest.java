package io.myxi.server;

import io.myxi.broker.Broker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;

class RabbitMqProtocolTest extends ProtocolTest {
  @Override
  protected Broker newBroker() {
    RabbitMqBroker broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName("myxi-protocol-test").build();
    broker.start();
    return broker;
  }
}
