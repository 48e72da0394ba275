package io.myxi.broker;

class InProcessBrokerTest extends BrokerContractTest {
  @Override
  protected Broker newBroker() {
    return new InProcessBroker();
  }
}
