package io.myxi.service;

import io.myxi.MyxiSetup;
import io.myxi.Registrar;
import java.util.Map;

/** An application setup found through META-INF/services by the discovery test. */
public final class EchoSetup implements MyxiSetup {
  @Override
  public void configure(Registrar registrar) {
    registrar.authenticatedAction("Echo", request -> request.reply("Echoed", Map.of("user", request.session().auth().orElseThrow(), "payload", request.payload())));
    registrar.exchange("echo-own", (session, key) -> key.equals(session.auth(String.class).orElse(null)));
  }
}
