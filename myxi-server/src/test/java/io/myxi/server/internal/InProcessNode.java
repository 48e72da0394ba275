package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.server.MyxiServer;
import io.myxi.server.RawWebSocket;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * The node of an engine test: the in-process broker, exchange {@code public} open to all, on an
 * ephemeral loopback port, without periodic re-authorization or a shutdown window.
 */
record InProcessNode(InProcessBroker broker, Myxi myxi, MyxiServer server) implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Started and ready; {@code options} adds to the server's settings. */
  static InProcessNode start(UnaryOperator<MyxiServer.Builder> options) {
    InProcessBroker broker = new InProcessBroker();
    Myxi myxi = Myxi.builder().broker(broker).exchange("public", Authorizer.allowAll()).build();
    MyxiServer server = options.apply(MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1")
        .reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO)).build().start();
    await().atMost(WAIT).until(server::isReady);
    return new InProcessNode(broker, myxi, server);
  }

  /** Reads the {@code Welcome} of a new raw client, subscribes it to {@code key} of {@code public}; its session id. */
  static String subscribe(RawWebSocket socket, String key) throws Exception {
    String sessionId = MAPPER.readTree(socket.readText()).path("payload").path("id").asText();
    socket.sendText("{\"action\":\"Subscribe\",\"payload\":{\"exchange\":\"public\",\"routing_key\":\"" + key + "\"}}");
    assertThat(MAPPER.readTree(socket.readText()).path("event").asText()).isEqualTo("Subscribed");
    return sessionId;
  }

  @Override
  public void close() {
    server.stop();
    myxi.close();
    broker.close();
  }
}
