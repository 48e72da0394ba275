package io.myxi.examples;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.server.MyxiServer;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo node, and the README's embedding example: the actions and exchanges of the gem's README.
 *
 * <p>Run with {@code java -jar myxi-examples/target/myxi-examples.jar}. Uses RabbitMQ when
 * {@code RABBITMQ_URL} is set (one URI, or a cluster's nodes comma-separated; {@code MYXI_PACKED_PUBLISHING} and
 * {@code MYXI_ROUTING_BUCKETS} set the broker's options of those names), else the in-process broker; listens on {@code MYXI_PORT}, else
 * {@code PORT}, else 5005, on {@code MYXI_BIND_ADDRESS} (default: every interface). It also serves
 * the demo page on {@code EXAMPLE_HTTP_PORT} (default 8080): sign in, subscribe to
 * {@code widgets/1234}, and see the {@code Tick} it pushes every two seconds or a
 * {@code WidgetUpdated} pushed from the page's button. The demo reads these itself: the library
 * reads no environment variable.
 */
public final class DemoServer {
  private static final Logger log = LoggerFactory.getLogger(DemoServer.class);
  static final String DEMO_EXCHANGE = "widgets";
  static final String DEMO_ROUTING_KEY = "1234";
  static final long TICK_SECONDS = 2;

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

  public static void main(String[] args) throws Exception {
    Broker broker = ExampleSettings.brokerFromEnvironment();
    Myxi myxi = buildMyxi(broker);
    String bindAddress = System.getenv("MYXI_BIND_ADDRESS");
    boolean everyInterface = bindAddress == null || bindAddress.isBlank();
    MyxiServer.Builder builder = MyxiServer.builder(myxi).port(ExampleSettings.port("MYXI_PORT", ExampleSettings.port("PORT", MyxiServer.DEFAULT_PORT)));
    if (!everyInterface) {
      builder.bindAddress(bindAddress);
    }
    MyxiServer server = builder.build().start();
    ExampleWebServer page = demoPage(myxi, everyInterface ? "0.0.0.0" : bindAddress, ExampleSettings.port("EXAMPLE_HTTP_PORT", 8080), server.port());
    ScheduledExecutorService ticker = startTicker(myxi);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      ticker.shutdownNow();
      page.close();
      server.stop();
      myxi.close();
      broker.close();
    }, "myxi-shutdown"));
    System.out.println("Myxi demo node on ws://localhost:" + server.port() + "/ (broker: " + broker.describe() + ")");
    System.out.println("Open http://localhost:" + page.port() + "/ : sign in as alice, subscribe to widgets/1234, watch the events arrive.");
    System.out.println("Tokens: alice-token, bob-token, carol-token. Exchanges: widgets (any signed-in user), users (your own name). Ctrl-C drains and stops.");
  }

  /** The demo page, myxi.js, and {@code POST /push} (pushes a {@code WidgetUpdated} to widgets/1234). */
  static ExampleWebServer demoPage(Myxi myxi, String bindAddress, int httpPort, int webSocketPort) throws java.io.IOException {
    AtomicInteger pushes = new AtomicInteger();
    return new ExampleWebServer(bindAddress, httpPort)
        .page("/", "io/myxi/examples/web/demo.html", Map.of("wsPort", String.valueOf(webSocketPort)))
        .post("/push", parameters -> {
          String name = parameters.getOrDefault("name", "Bolt");
          myxi.pushEvent(DEMO_EXCHANGE, DEMO_ROUTING_KEY, "WidgetUpdated", Map.of("name", name, "push", pushes.incrementAndGet()));
          return Map.of("pushed", "WidgetUpdated");
        })
        .start();
  }

  /** Pushes {@code Tick {n, time}} to widgets/1234 every two seconds, so a subscribed page sees events at once. */
  static ScheduledExecutorService startTicker(Myxi myxi) {
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "demo-ticker");
      thread.setDaemon(true);
      return thread;
    });
    AtomicInteger ticks = new AtomicInteger();
    ticker.scheduleWithFixedDelay(() -> {
      try {
        String time = LocalTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        myxi.pushEvent(DEMO_EXCHANGE, DEMO_ROUTING_KEY, "Tick", Map.of("n", ticks.incrementAndGet(), "time", time));
      } catch (RuntimeException e) {
        // The broker may be away for a moment; the next tick tries again.
        log.warn("Demo tick not pushed: {}", e.toString());
      }
    }, TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
    return ticker;
  }
}
