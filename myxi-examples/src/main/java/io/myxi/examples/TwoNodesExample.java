package io.myxi.examples;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.broker.InProcessBroker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.server.MyxiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Example 3, two nodes and one RabbitMQ: two WebSocket nodes on different ports, a page connected
 * to each, and an event pushed once that reaches both. Each node has its own broker connection and
 * queue, as two servers would; a third, publisher-only {@link Myxi} pushes.
 *
 * <p>Run: {@code RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672 java -cp
 * myxi-examples/target/myxi-examples.jar io.myxi.examples.TwoNodesExample}, then open
 * http://localhost:8082/. Without RABBITMQ_URL the nodes share one in-process broker.
 */
public final class TwoNodesExample implements AutoCloseable {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final MyxiServer first;
  private final MyxiServer second;
  private final ExampleWebServer web;

  public TwoNodesExample(Supplier<Broker> brokers, String bindAddress, int firstPort, int secondPort, int httpPort) throws Exception {
    this.first = node(brokers.get(), bindAddress, firstPort);
    this.second = node(brokers.get(), bindAddress, secondPort);
    Broker publisherBroker = track(brokers.get());
    Myxi publisher = track(registry(publisherBroker));
    this.web = new ExampleWebServer(bindAddress, httpPort)
        .page("/", "io/myxi/examples/web/two-nodes.html", Map.of("firstPort", String.valueOf(first.port()), "secondPort", String.valueOf(second.port())))
        .post("/push", parameters -> {
          String text = parameters.getOrDefault("text", "Hello from one pushEvent");
          publisher.pushEvent("news", "all", "Announcement", Map.of("text", text));
          return Map.of("pushed", text);
        })
        .start();
  }

  private static Myxi registry(Broker broker) {
    return Myxi.builder().broker(broker).exchange("news", Authorizer.allowAll()).build();
  }

  private MyxiServer node(Broker broker, String bindAddress, int port) {
    track(broker);
    Myxi myxi = track(registry(broker));
    return track(MyxiServer.builder(myxi).bindAddress(bindAddress).port(port).shutdownWindow(Duration.ofSeconds(1)).build().start());
  }

  private <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  public int firstPort() {
    return first.port();
  }

  public int secondPort() {
    return second.port();
  }

  public int httpPort() {
    return web.port();
  }

  /** Whether both nodes are connected to the broker. */
  public boolean isReady() {
    return first.isReady() && second.isReady();
  }

  @Override
  public void close() throws Exception {
    web.close();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** One broker per node when RabbitMQ is configured; otherwise the nodes share an in-process one. */
  static Supplier<Broker> brokersFromEnvironment() {
    List<String> urls = ExampleSettings.brokerUrls();
    if (urls.isEmpty()) {
      Broker shared = new InProcessBroker();
      return () -> new SharedBroker(shared);
    }
    return () -> {
      RabbitMqBroker broker = ExampleSettings.packing(RabbitMqBroker.builder().uris(urls).connectionName("myxi-two-nodes-example")).build();
      broker.start();
      return broker;
    };
  }

  public static void main(String[] args) throws Exception {
    int firstPort = ExampleSettings.port("MYXI_PORT", 5005);
    TwoNodesExample example = new TwoNodesExample(brokersFromEnvironment(), ExampleSettings.bindAddress(),
        firstPort, ExampleSettings.port("MYXI_SECOND_PORT", firstPort == 0 ? 0 : firstPort + 10), ExampleSettings.port("EXAMPLE_HTTP_PORT", 8082));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        example.close();
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    System.out.println("Two nodes example: open http://localhost:" + example.httpPort() + "/ (nodes on " + example.firstPort() + " and "
        + example.secondPort() + ")");
  }
}
