package io.myxi.examples;

import io.myxi.ActionHandler;
import io.myxi.ErrorCodes;
import java.util.Map;

/** The examples' sign-in: fixed demo tokens. A real app checks its own session store. */
final class DemoUsers {
  static final Map<String, String> USERS_BY_TOKEN = Map.of("alice-token", "alice", "bob-token", "bob", "carol-token", "carol");

  private DemoUsers() {}

  /** The {@code Authenticate} action: {@code {"token": T}} → {@code Authenticated {user}}. */
  static ActionHandler authenticate() {
    return request -> {
      String user = USERS_BY_TOKEN.get(request.payload().path("token").asText());
      if (user == null) {
        request.error(ErrorCodes.INVALID_AUTHENTICATION);
        return;
      }
      request.session().setAuth(user);
      request.reply("Authenticated", Map.of("user", user));
    };
  }
}
