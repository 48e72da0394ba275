package io.myxi.examples;

import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.server.MyxiServer;
import java.time.Duration;
import java.util.Map;

/**
 * Example 2, per-user notifications: user A shares something with user B, and every open tab of B
 * lights up. B may subscribe only to B's own channel ({@code users/<name>}).
 *
 * <p>Run: {@code java -cp myxi-examples/target/myxi-examples.jar io.myxi.examples.NotificationsExample},
 * then open http://localhost:8081/ in two windows.
 */
public final class NotificationsExample implements AutoCloseable {
  private final Myxi myxi;
  private final MyxiServer server;
  private final ExampleWebServer web;

  public NotificationsExample(Broker broker, String bindAddress, int webSocketPort, int httpPort) throws Exception {
    this.myxi = Myxi.builder()
        .broker(broker)
        .action("Authenticate", DemoUsers.authenticate())
        .exchange("users", (session, user) -> session.auth(String.class).map(user::equals).orElse(false))
        .build();
    this.server = MyxiServer.builder(myxi).bindAddress(bindAddress).port(webSocketPort).shutdownWindow(Duration.ofSeconds(1)).build().start();
    this.web = new ExampleWebServer(bindAddress, httpPort)
        .page("/", "io/myxi/examples/web/notifications.html", Map.of("wsPort", String.valueOf(server.port())))
        .post("/share", parameters -> {
          String from = parameters.getOrDefault("from", "");
          String to = parameters.getOrDefault("to", "");
          String item = parameters.getOrDefault("item", "");
          if (!DemoUsers.USERS_BY_TOKEN.containsValue(to) || item.isBlank()) {
            throw new IllegalArgumentException("share needs a known recipient and an item");
          }
          myxi.pushEvent("users", to, "Shared", Map.of("from", from, "item", item));
          return Map.of("shared", item, "with", to);
        })
        .start();
  }

  public int webSocketPort() {
    return server.port();
  }

  public int httpPort() {
    return web.port();
  }

  @Override
  public void close() {
    web.close();
    server.stop();
    myxi.close();
  }

  public static void main(String[] args) throws Exception {
    NotificationsExample example = ExampleSettings.launch(broker -> new NotificationsExample(broker, ExampleSettings.bindAddress(),
        ExampleSettings.port("MYXI_PORT", 5005), ExampleSettings.port("EXAMPLE_HTTP_PORT", 8081)));
    System.out.println("Notifications example: open http://localhost:" + example.httpPort() + "/ in two windows (WebSocket on "
        + example.webSocketPort() + ", broker " + example.myxi.broker().describe() + ")");
  }
}
