package io.myxi.broker.internal;

import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs errors on the client's threads and, unlike the default, never closes a channel for them. */
public final class LoggingExceptionHandler extends ForgivingExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(LoggingExceptionHandler.class);

  @Override
  protected void log(String message, Throwable e) {
    log.error("RabbitMQ client: {}", message, e);
  }
}
