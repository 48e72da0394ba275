package io.myxi.examples;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.server.MyxiServer;
import java.time.Instant;
import java.util.Map;

/**
 * The demo node, and the README's embedding example: the actions and exchanges of the gem's README.
 *
 * <p>Run with {@code java -jar myxi-examples/target/myxi-examples.jar}. Uses RabbitMQ when
 * {@code RABBITMQ_URL} is set (one URI, or a cluster's nodes comma-separated), else the in-process broker; listens on {@code MYXI_PORT}, else
 * {@code PORT}, else 5005, on {@code MYXI_BIND_ADDRESS} (default: every interface). The demo reads
 * these itself: the library reads no environment variable.
 */
public final class DemoServer {
  private DemoServer() {}

  /** The demo application's registry: what a host application writes. */
  public static Myxi buildMyxi(Broker broker) {
    return Myxi.builder()
        .broker(broker)
        .action("Authenticate", DemoUsers.authenticate())
        .action("SayHello", request -> request.reply("HelloThere", Map.of("time", Instant.now().getEpochSecond())))
        // Any signed-in user may follow any widget.
        .exchange("widgets", Authorizer.authenticated())
        // Per-user notifications: only your own routing key.
        .exchange("users", (session, routingKey) -> session.auth(String.class).map(routingKey::equals).orElse(false))
        .build();
  }

  public static void main(String[] args) {
    Broker broker = ExampleSettings.brokerFromEnvironment();
    Myxi myxi = buildMyxi(broker);
    MyxiServer.Builder builder = MyxiServer.builder(myxi).port(ExampleSettings.port("MYXI_PORT", ExampleSettings.port("PORT", MyxiServer.DEFAULT_PORT)));
    String bindAddress = System.getenv("MYXI_BIND_ADDRESS");
    if (bindAddress != null && !bindAddress.isBlank()) {
      builder.bindAddress(bindAddress);
    }
    MyxiServer server = builder.build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      myxi.close();
      broker.close();
    }, "myxi-shutdown"));
    System.out.println("Myxi demo node on ws://localhost:" + server.port() + "/ (broker: " + broker.describe() + ")");
    System.out.println("Try: tokens alice-token / bob-token, exchanges widgets and users. Ctrl-C drains and stops.");
  }
}
