package io.myxi.server;

import io.myxi.Authorizer;
import io.myxi.ErrorCodes;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.testing.RabbitMqFixture;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The application the server tests run: a few actions and exchanges with known rules. */
final class TestApp {
  final Set<String> revocableAllowed = ConcurrentHashMap.newKeySet();
  final String prefix = RabbitMqFixture.unique("test") + ".";

  Myxi.Builder builder(Broker broker) {
    return Myxi.builder()
        .broker(broker)
        .exchangePrefix(prefix)
        .action("Authenticate", request -> {
          String token = request.payload().path("token").asText();
          String user = Map.of("alice-token", "alice", "bob-token", "bob").get(token);
          if (user == null) {
            request.error(ErrorCodes.INVALID_AUTHENTICATION);
          } else {
            request.session().setAuth(user);
            request.reply("Authenticated", Map.of("user", user));
          }
        })
        .authenticatedAction("Secret", request -> request.reply("SecretOk", Map.of()))
        .action("Interrupted", request -> {
          // Application code that was cancelled and answers anyway.
          Thread.currentThread().interrupt();
          request.reply("StillHere", Map.of());
        })
        .action("Boom", request -> {
          throw new IllegalStateException("database password is hunter2");
        })
        .exchange("widgets", Authorizer.authenticated())
        .exchange("users", (session, key) -> session.auth(String.class).map(key::equals).orElse(false))
        .exchange("public", Authorizer.allowAll())
        .exchange("revocable", (session, key) -> revocableAllowed.contains(key))
        .exchange("faulty", (session, key) -> {
          throw new IllegalStateException("authorizer database down");
        });
  }
}
