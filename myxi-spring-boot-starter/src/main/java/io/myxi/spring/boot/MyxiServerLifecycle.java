package io.myxi.spring.boot;

import io.myxi.server.MyxiServer;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the node when the application context has started everything else (the last phase), and
 * drains it first on shutdown: new connections are refused and sessions are closed spread over
 * {@code myxi.server.shutdown-window} while the rest of the application (its actions' databases,
 * the broker) still runs. A stopped node is not started again: a context restart needs a new
 * {@link MyxiServer}.
 */
public final class MyxiServerLifecycle implements SmartLifecycle {
  private final MyxiServer server;
  private volatile boolean running;

  public MyxiServerLifecycle(MyxiServer server) {
    this.server = server;
  }

  @Override
  public void start() {
    server.start();
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    server.stop();
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
