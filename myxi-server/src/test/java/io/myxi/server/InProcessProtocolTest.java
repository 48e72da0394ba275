package io.myxi.server;

import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;

class InProcessProtocolTest extends ProtocolTest {
  @Override
  protected Broker newBroker() {
    return new InProcessBroker();
  }
}
