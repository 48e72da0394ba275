package io.myxi.examples;

import io.myxi.broker.Broker;
import io.myxi.broker.Brokers;

/** Ports, addresses and the broker of the examples, from the environment with local defaults. */
final class ExampleSettings {
  private ExampleSettings() {}

  /** Builds an example on {@code Brokers.fromEnvironment()}. */
  @FunctionalInterface
  interface ExampleFactory<T extends AutoCloseable> {
    T create(Broker broker) throws Exception;
  }

  /** Starts an example on the environment's broker; SIGTERM or Ctrl-C stops both, example first. */
  static <T extends AutoCloseable> T launch(ExampleFactory<T> factory) throws Exception {
    Broker broker = Brokers.fromEnvironment();
    T example = factory.create(broker);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        example.close();
      } catch (Exception e) {
        e.printStackTrace();
      } finally {
        broker.close();
      }
    }, "example-shutdown"));
    return example;
  }

  static int port(String variable, int fallback) {
    String value = System.getenv(variable);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(variable + " must be a port number: " + value);
    }
  }

  static String bindAddress() {
    String value = System.getenv("MYXI_BIND_ADDRESS");
    return value == null || value.isBlank() ? "127.0.0.1" : value;
  }
}
