package sample;

import io.myxi.MyxiSetup;
import io.myxi.Registrar;
import java.util.Map;

/** The application's part of the node: one action. */
public final class GreeterSetup implements MyxiSetup {
  @Override
  public void configure(Registrar registrar) {
    registrar.action("Greet", request -> request.reply("Greeting", Map.of("text", "hello " + request.payload().path("name").asText("stranger"))));
  }
}
