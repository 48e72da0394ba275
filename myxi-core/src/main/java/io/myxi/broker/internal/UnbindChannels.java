package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.myxi.broker.NodeQueue.Change;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a run of unbinds of the node queue over a few extra channels at once. AMQP 0-9-1 has no
 * no-wait {@code queue.unbind} and the client allows one RPC at a time per channel, so without
 * them a run of unbinds costs one round trip per key. Used by {@link RabbitNodeQueue} under its
 * topologyLock only (one caller at a time); the client's connection thread only completes the
 * futures.
 */
final class UnbindChannels {
  // The node queue's log category: an unbind is part of its topology.
  private static final Logger log = LoggerFactory.getLogger(RabbitNodeQueue.class);
  /** How many unbinds of one run are in flight together. */
  static final int WIDTH = 8;
  /** Created lazily, recreated when closed or on another connection. */
  private final AtomicReferenceArray<Channel> channels = new AtomicReferenceArray<>(WIDTH);

  /**
   * Sends the unbinds over the unbind channels, one RPC in flight per channel, and returns once
   * every one is answered (or its channel closed). Best effort like a single unbind: a failure is
   * logged and its channel recreated on next use. Past the deadline (the batch's timeout from the
   * run's start) or when interrupted, the channels still waiting are aborted and the rest of the run
   * goes one at a time on the topology channel, as before there were unbind channels: only the
   * aborted unbinds may then race with a later re-bind of their key, as with any broker that does
   * not answer within the timeout. Under topologyLock.
   */
  void unbindTogether(Channel topology, String queue, List<Change> unbinds, long deadline) throws IOException {
    Connection connection = topology.getConnection();
    int width = Math.min(WIDTH, unbinds.size());
    CompletableFuture<?>[] inFlight = new CompletableFuture<?>[width];
    Change[] sent = new Change[width];
    boolean late = false;
    try {
      for (Change change : unbinds) {
        int slot = late ? -1 : awaitFreeSlot(inFlight, sent, deadline);
        Channel channel = slot < 0 ? null : channel(slot, connection);
        if (channel == null) {
          // Late, or no channel left on the connection: the slow way (a failure ends the run).
          late = true;
          topology.queueUnbind(queue, change.exchange(), change.routingKey());
          continue;
        }
        AMQP.Queue.Unbind unbind = new AMQP.Queue.Unbind.Builder()
            .queue(queue).exchange(change.exchange()).routingKey(change.routingKey()).build();
        try {
          inFlight[slot] = channel.asyncCompletableRpc(unbind);
        } catch (IOException | ShutdownSignalException closing) {
          // The broker closed the channel after an earlier failure (say, an unknown exchange) and
          // the client had not noticed yet: once more on a fresh one, or the binding would stay.
          AmqpSupport.abortQuietly(channel);
          channels.set(slot, null);
          channel = channel(slot, connection);
          try {
            if (channel == null) {
              topology.queueUnbind(queue, change.exchange(), change.routingKey());
              continue;
            }
            inFlight[slot] = channel.asyncCompletableRpc(unbind);
          } catch (ShutdownSignalException e) {
            logUnbindFailure(change, e);
            continue;
          }
        }
        sent[slot] = change;
      }
    } finally {
      for (int slot = 0; slot < width; slot++) {
        awaitSlot(inFlight, sent, slot, deadline);
      }
    }
  }

  /**
   * Waits until one of the slots is free (never used, or answered) and returns it; -1 past the
   * deadline or when interrupted, after aborting the channels still waiting.
   */
  private int awaitFreeSlot(CompletableFuture<?>[] inFlight, Change[] sent, long deadline) {
    while (true) {
      List<CompletableFuture<?>> pending = new ArrayList<>(inFlight.length);
      for (int slot = 0; slot < inFlight.length; slot++) {
        if (inFlight[slot] == null) {
          return slot;
        }
        if (inFlight[slot].isDone()) {
          awaitSlot(inFlight, sent, slot, deadline); // Logs a failure and frees the slot.
          return slot;
        }
        pending.add(inFlight[slot]);
      }
      try {
        CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new)).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        // Handled by awaitSlot on the next pass.
      } catch (TimeoutException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        for (int slot = 0; slot < inFlight.length; slot++) {
          awaitSlot(inFlight, sent, slot, System.nanoTime()); // Aborts the laggards.
        }
        return -1;
      }
    }
  }

  /** Waits for the slot's unbind (aborting its channel past the deadline), logs a failure, frees the slot. */
  private void awaitSlot(CompletableFuture<?>[] inFlight, Change[] sent, int slot, long deadline) {
    CompletableFuture<?> pending = inFlight[slot];
    if (pending == null) {
      return;
    }
    inFlight[slot] = null;
    try {
      pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      logUnbindFailure(sent[slot], e.getCause());
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn("RabbitMQ did not answer the unbind of {} / {} in time; closing its channel", sent[slot].exchange(), AmqpSupport.printable(sent[slot].routingKey()));
      AmqpSupport.abortQuietly(channels.get(slot));
    }
    sent[slot] = null;
  }

  private static void logUnbindFailure(Change change, Throwable e) {
    log.warn("Could not unbind {} / {}: {}", change.exchange(), AmqpSupport.printable(change.routingKey()), AmqpSupport.rootMessage(e));
  }

  /** The slot's unbind channel on this connection, opened if need be; null when none can be opened. Under topologyLock. */
  private Channel channel(int slot, Connection connection) {
    Channel channel = channels.get(slot);
    if (channel != null && channel.isOpen() && channel.getConnection() == connection) {
      return channel;
    }
    AmqpSupport.abortQuietly(channel);
    try {
      channel = connection.createChannel(); // Null when the connection's channel limit is reached.
    } catch (IOException | ShutdownSignalException e) {
      log.warn("Could not open an unbind channel: {}", AmqpSupport.rootMessage(e));
      channel = null;
    }
    channels.set(slot, channel);
    return channel;
  }

  /** Aborts every unbind channel (the connection is lost or the queue closes). */
  void abortAll() {
    for (int slot = 0; slot < WIDTH; slot++) {
      AmqpSupport.abortQuietly(channels.getAndSet(slot, null));
    }
  }
}
