package io.myxi.examples;

import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import java.util.Arrays;
import java.util.List;

/** Ports, addresses and the broker of the examples, from the environment with local defaults. */
final class ExampleSettings {
  private ExampleSettings() {}

  /** Builds an example on {@link #brokerFromEnvironment()}. */
  @FunctionalInterface
  interface ExampleFactory<T extends AutoCloseable> {
    T create(Broker broker) throws Exception;
  }

  /** Starts an example on the environment's broker; SIGTERM or Ctrl-C stops both, example first. */
  static <T extends AutoCloseable> T launch(ExampleFactory<T> factory) throws Exception {
    Broker broker = brokerFromEnvironment();
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

  /**
   * A started {@link RabbitMqBroker} for the URIs in {@code RABBITMQ_URL} when that variable is set
   * (one, or the nodes of a cluster comma-separated), else a new {@link InProcessBroker}. The
   * application's choice: the library reads no environment.
   */
  static Broker brokerFromEnvironment() {
    List<String> urls = brokerUrls();
    if (urls.isEmpty()) {
      return new InProcessBroker();
    }
    RabbitMqBroker broker = RabbitMqBroker.builder().uris(urls).build();
    broker.start();
    return broker;
  }

  /** {@code RABBITMQ_URL} split at commas: one URI, or one per node of a cluster; empty when unset. */
  static List<String> brokerUrls() {
    String value = System.getenv("RABBITMQ_URL");
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return Arrays.stream(value.split(",")).map(String::trim).filter(url -> !url.isEmpty()).toList();
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
