package io.myxi.examples.spring;

import io.myxi.Authorizer;
import io.myxi.ErrorCodes;
import io.myxi.MyxiSetup;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application serving browsers over Myxi: the starter builds the broker, the {@code
 * Myxi} registry and the WebSocket node from {@code application.yml}; the application adds an
 * {@code Authenticate} action and a {@code widgets} exchange as two beans. Anything in the
 * application (a controller, a job) pushes events by injecting {@code Myxi}:
 *
 * <pre>{@code
 * myxi.pushEvent("widgets", widget.id(), "WidgetUpdated", widget);
 * }</pre>
 */
@SpringBootApplication
public class WidgetsApplication {
  /** Demo sign-in tokens; a real application checks its own session store or a signed token. */
  static final Map<String, String> USERS_BY_TOKEN = Map.of("alice-token", "alice", "bob-token", "bob");

  public static void main(String[] args) {
    SpringApplication.run(WidgetsApplication.class, args);
  }

  /** {@code Authenticate {"token": T}}: answers {@code Authenticated {user}} and remembers the user on the session. */
  @Bean
  MyxiSetup authenticate() {
    return registrar -> registrar.action("Authenticate", request -> {
      String user = USERS_BY_TOKEN.get(request.payload().path("token").asText());
      if (user == null) {
        request.error(ErrorCodes.INVALID_AUTHENTICATION);
        return;
      }
      request.session().setAuth(user);
      request.reply("Authenticated", Map.of("user", user));
    });
  }

  /** The {@code widgets} exchange: any signed-in user may follow any widget. */
  @Bean
  MyxiSetup widgets() {
    return registrar -> registrar.exchange("widgets", Authorizer.authenticated());
  }
}
