package io.myxi.server;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.broker.RabbitMqBroker;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A Myxi node in a JVM of its own, for {@link NodeKillTest} and {@link NodeKillRecoveryTest} to
 * kill with SIGKILL. Arguments: AMQP URI, exchange prefix, connection name, and optionally the name
 * of an exchange with history (one hour) to serve besides {@code public}. Prints {@code READY <port>}
 * once it can serve.
 */
public final class ChildNode {
  private ChildNode() {}

  public static void main(String[] args) throws Exception {
    RabbitMqBroker broker = RabbitMqBroker.builder().uri(args[0]).connectionName(args[2]).build();
    broker.start();
    Myxi.Builder builder = Myxi.builder().broker(broker).exchangePrefix(args[1]).exchange("public", Authorizer.allowAll());
    if (args.length > 3) {
      builder.exchange(args[3], Authorizer.allowAll(), Retention.maxAge(Duration.ofHours(1)));
    }
    Myxi myxi = builder.build();
    MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").build().start();
    server.awaitReady(Duration.ofSeconds(60));
    System.out.println("READY " + server.port());
    System.out.flush();
    // Serve until the test kills this JVM.
    new CountDownLatch(1).await();
  }
}
