package io.myxi.broker.internal;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * The exchanges already declared on one channel, so each is declared once and not on every publish
 * or binding. The cache belongs to the channel: a new channel (after a 404 closed the old one, or
 * after a reconnection, when a restarted broker may have lost the exchange) starts empty, so every
 * exchange is declared again there.
 *
 * <p>Not thread-safe: each owner uses its instance on one thread (the publisher's publishing
 * thread) or under one lock (a node queue's topology lock).
 */
public final class DeclaredExchanges {
  private final boolean durable;
  private final boolean autoDelete;
  private final Set<String> declared = new HashSet<>();
  private Channel declaredOn;

  public DeclaredExchanges(boolean durable, boolean autoDelete) {
    this.durable = durable;
    this.autoDelete = autoDelete;
  }

  /** Declares {@code exchange} (direct) on {@code channel} unless this channel declared it already. */
  public void declare(Channel channel, String exchange) throws IOException {
    if (channel != declaredOn) {
      declared.clear();
      declaredOn = channel;
    }
    if (!declared.contains(exchange)) {
      channel.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, durable, autoDelete, null);
      declared.add(exchange);
    }
  }

  /** Forgets everything: the next declaration of each exchange goes to the broker. */
  public void clear() {
    declared.clear();
    declaredOn = null;
  }
}
