package io.myxi.service;

import io.myxi.Myxi;
import io.myxi.MyxiSetup;
import java.util.Map;

/** An application setup found through META-INF/services by the discovery test. */
public final class EchoSetup implements MyxiSetup {
  @Override
  public void configure(Myxi.Builder builder) {
    builder.authenticatedAction("Echo", request -> request.reply("Echoed", Map.of("user", request.session().auth().orElseThrow(), "payload", request.payload())));
    builder.exchange("echo-own", (session, key) -> key.equals(session.auth(String.class).orElse(null)));
  }
}
