package io.myxi.examples;

import io.myxi.broker.Broker;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Lends one broker to several owners: closing a loan leaves the broker open. */
final class SharedBroker implements Broker {
  private final Broker shared;

  SharedBroker(Broker shared) {
    this.shared = shared;
  }

  @Override
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    shared.publish(exchange, routingKey, body, timeout);
  }

  @Override
  public CompletableFuture<Void> publishAsync(String exchange, String routingKey, byte[] body, Duration timeout) {
    return shared.publishAsync(exchange, routingKey, body, timeout);
  }

  @Override
  public CompletableFuture<Void> publishBatch(List<Message> messages, Duration timeout) {
    return shared.publishBatch(messages, timeout);
  }

  @Override
  public NodeQueue openNodeQueue(NodeQueue.Listener listener) {
    return shared.openNodeQueue(listener);
  }

  @Override
  public boolean isConnected() {
    return shared.isConnected();
  }

  @Override
  public String describe() {
    return shared.describe();
  }

  @Override
  public void close() {
    // The shared broker outlives each loan.
  }
}
