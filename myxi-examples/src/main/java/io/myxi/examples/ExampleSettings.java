package io.myxi.examples;

import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
   * (one, or the nodes of a cluster comma-separated), with {@link #packing} from the environment,
   * else a new {@link InProcessBroker}. The application's choice: the library reads no environment.
   */
  static Broker brokerFromEnvironment() {
    List<String> urls = brokerUrls();
    if (urls.isEmpty()) {
      return new InProcessBroker();
    }
    RabbitMqBroker broker = packing(RabbitMqBroker.builder().uris(urls)).build();
    broker.start();
    return broker;
  }

  /** Delay of {@link RabbitMqBroker.Builder#packedPublishing}, such as {@code 1ms} or {@code 0}; unset: off. */
  static final String PACKED_PUBLISHING = "MYXI_PACKED_PUBLISHING";
  /** {@link RabbitMqBroker.Builder#routingBuckets}, 1..65536; unset or 0: off. */
  static final String ROUTING_BUCKETS = "MYXI_ROUTING_BUCKETS";

  /**
   * {@code MYXI_PACKED_PUBLISHING} and {@code MYXI_ROUTING_BUCKETS} on {@code builder} (the names
   * the runnable server also reads). Every node and publisher of the exchanges must agree on them.
   *
   * @throws IllegalArgumentException a value that is not one, naming the variable
   */
  static RabbitMqBroker.Builder packing(RabbitMqBroker.Builder builder) {
    Duration delay = packDelay(System.getenv(PACKED_PUBLISHING));
    if (delay != null) {
      builder.packedPublishing(delay);
    }
    int buckets = routingBuckets(System.getenv(ROUTING_BUCKETS));
    if (buckets > 0) {
      builder.routingBuckets(buckets);
    }
    return builder;
  }

  /** {@code 1ms}, {@code 2s}, {@code 0} (packed, no delay) in 0..1 s; null when unset or blank. */
  static Duration packDelay(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Matcher matcher = DELAY.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (matcher.matches()) {
      long amount = Long.parseLong(matcher.group(1));
      Duration delay = matcher.group(2) == null ? (amount == 0 ? Duration.ZERO : null)
          : matcher.group(2).equals("s") ? Duration.ofSeconds(amount) : Duration.ofMillis(amount);
      if (delay != null && delay.compareTo(Duration.ofSeconds(1)) <= 0) {
        return delay;
      }
    }
    throw new IllegalArgumentException(PACKED_PUBLISHING + " must be a delay in 0..1s such as 1ms, 500ms, 1s or 0: " + value);
  }

  private static final Pattern DELAY = Pattern.compile("(\\d{1,9})\\s*(ms|s)?");

  /** The number of buckets, 0 (off) when unset or blank. */
  static int routingBuckets(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      int buckets = Integer.parseInt(value.trim());
      if (buckets >= 0 && buckets <= 65536) {
        return buckets;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(ROUTING_BUCKETS + " must be a whole number in 0..65536 (0: off): " + value);
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
