import io.myxi.Authorizer;
import io.myxi.ErrorCodes;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.server.MyxiServer;
import java.util.Map;

public final class ChatNode {
  /** Your application's sign-in: who holds this WebSocket token (null: nobody). */
  public interface Users {
    String findByWebSocketToken(String token);
  }

  public static MyxiServer start(Users users) {
    Broker broker = RabbitMqBroker.builder().uri("amqp://guest:guest@127.0.0.1:5672").build();
    // or: Broker broker = new InProcessBroker();   // one JVM, no RabbitMQ (io.myxi.broker.InProcessBroker)
    // (the library reads no environment variable; the examples choose from RABBITMQ_URL in ExampleSettings)

    Myxi myxi = Myxi.builder()
        .broker(broker)
        .action("Authenticate", request -> {
          String user = users.findByWebSocketToken(request.payload().path("token").asText());
          if (user == null) {
            request.error(ErrorCodes.INVALID_AUTHENTICATION);
            return;
          }
          request.session().setAuth(user);
          request.reply("Authenticated", Map.of("user", user));
        })
        .exchange("widgets", Authorizer.authenticated())
        .exchange("users", (session, routingKey) ->
            session.auth(String.class).map(routingKey::equals).orElse(false))
        .build();

    return MyxiServer.builder(myxi).port(5005).build().start();
    // ... on shutdown, server.stop(): closes sessions spread over the shutdown window, deletes the node's queue
  }
}
