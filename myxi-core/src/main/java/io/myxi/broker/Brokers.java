package io.myxi.broker;

/** Picks a broker from the environment. */
public final class Brokers {
  private Brokers() {}

  /**
   * A {@link RabbitMqBroker} for the URI in {@code RABBITMQ_URL} when that variable is set, else a
   * new {@link InProcessBroker}.
   */
  public static Broker fromEnvironment() {
    String url = System.getenv("RABBITMQ_URL");
    if (url == null || url.isBlank()) {
      return new InProcessBroker();
    }
    RabbitMqBroker broker = RabbitMqBroker.builder().uri(url).build();
    broker.start();
    return broker;
  }
}
