package io.myxi.examples;

import io.myxi.Authorizer;
import io.myxi.MyxiSetup;
import io.myxi.Registrar;
import java.time.Instant;
import java.util.Map;

/**
 * The demo application as a plug-in of the runnable server: the same actions and exchanges as
 * {@link DemoServer}, without a {@code main} of its own. The server's configuration file provides
 * the broker, the ports and the built-in token {@code Authenticate}; this adds the rest.
 *
 * <pre>
 * java -cp myxi-service/target/myxi-server.jar:myxi-examples/target/myxi-examples-VERSION.jar \
 *     io.myxi.service.Main start --config myxi-examples/myxi-demo.yml
 * </pre>
 *
 * <p>(VERSION: the project version, e.g. 0.2.0-SNAPSHOT.) Found through {@code META-INF/services/io.myxi.MyxiSetup}.
 */
public final class DemoSetup implements MyxiSetup {
  @Override
  public void configure(Registrar registrar) {
    registrar
        .action("SayHello", request -> request.reply("HelloThere", Map.of("time", Instant.now().getEpochSecond())))
        // Any signed-in user may follow any widget.
        .exchange("widgets", Authorizer.authenticated())
        // Per-user notifications: only your own routing key (the token's sub is the session's user).
        .exchange("users", (session, routingKey) -> session.auth(String.class).map(routingKey::equals).orElse(false));
  }
}
