package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.ThreadFactory;

/** Small stateless helpers shared by the broker's parts. */
public final class AmqpSupport {
  private AmqpSupport() {}

  /** A short reason for logs and exception messages: the AMQP close reason, else the root cause. */
  /** A routing key (client or publisher input) for a log line: control characters replaced, long values cut. */
  public static String printable(String text) {
    if (text == null) {
      return null;
    }
    String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  public static String rootMessage(Throwable e) {
    ShutdownSignalException signal = shutdownSignal(e);
    if (signal != null && signal.getReason() != null) {
      if (signal.getReason() instanceof AMQP.Connection.Close close) {
        return "connection closed: " + close.getReplyCode() + " " + close.getReplyText();
      }
      if (signal.getReason() instanceof AMQP.Channel.Close close) {
        return "channel closed: " + close.getReplyCode() + " " + close.getReplyText();
      }
      return signal.getReason().protocolMethodName();
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** Whether the broker closed a channel with 404 NOT_FOUND (an exchange or queue is gone). */
  public static boolean isNotFound(Throwable e) {
    ShutdownSignalException signal = shutdownSignal(e);
    return signal != null && signal.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == AMQP.NOT_FOUND;
  }

  /** Whether the broker closed a channel with 406 PRECONDITION_FAILED (a declaration disagrees). */
  public static boolean isPreconditionFailed(Throwable e) {
    ShutdownSignalException signal = shutdownSignal(e);
    return signal != null && signal.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == AMQP.PRECONDITION_FAILED;
  }

  private static ShutdownSignalException shutdownSignal(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause instanceof ShutdownSignalException signal) {
        return signal;
      }
    }
    return null;
  }

  /** The broker node a connection went to, as {@code host:port}. */
  public static String addressOf(Connection connection) {
    return connection.getAddress().getHostAddress() + ":" + connection.getPort();
  }

  /** Closes without waiting long for the broker to agree. */
  public static void abortQuietly(Connection connection) {
    try {
      connection.abort(2000);
    } catch (RuntimeException ignored) {
      // Already closed.
    }
  }

  public static void abortQuietly(Channel channel) {
    if (channel != null && channel.isOpen()) {
      try {
        channel.abort();
      } catch (IOException | RuntimeException ignored) {
        // The channel or its connection is going away anyway.
      }
    }
  }

  public static ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
