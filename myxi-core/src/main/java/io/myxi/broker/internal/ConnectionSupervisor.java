package io.myxi.broker.internal;

import io.myxi.broker.BrokerException;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection up: connects in the background, and after a loss reconnects with capped
 * exponential backoff and jitter, has every {@link Participant} restore its part of the topology
 * on the new connection, and only then reports the recovery. A broker absent at start is waited
 * for in the same way. The client's own automatic recovery stays off.
 *
 * <p>Threads: everything that changes the connection runs on the {@link Scheduler}'s one thread,
 * the "recovery thread": connecting, restoring, handling a loss, counting failures. A loss is
 * reported on the client's connection thread; {@link #onLost} only queues it for the recovery
 * thread, so the backoff and the participants' state are never touched from there. Other threads
 * read the volatile fields, wait on {@link #connectionChanged}, add and remove participants (a
 * concurrent set) and queue work with {@link #execute}; {@link #close} is the one writer of
 * {@link #connection} off the recovery thread.
 *
 * @param <C> the connection type ({@code com.rabbitmq.client.Connection} in production)
 */
public final class ConnectionSupervisor<C> {
  private static final Logger log = LoggerFactory.getLogger(ConnectionSupervisor.class);

  /**
   * Something kept on the connection (a node queue). All methods but {@link #close} are called on
   * the recovery thread.
   */
  public interface Participant<C> {
    /** Declares everything again on {@code connection}; throwing drops the connection for a retry. */
    void restore(C connection) throws Exception;

    /** The connection is gone. */
    void lost(String reason);

    /** Every participant is restored on a new connection after a loss that began at {@code downSince}. */
    void recovered(Instant downSince, Instant upAt);

    /** The supervisor is closing. Any thread. */
    void close();
  }

  private final Connector<C> connector;
  private final Scheduler scheduler;
  private final String description;
  /** Added and removed on any thread; restored on the recovery thread. */
  private final Set<Participant<C>> participants = new CopyOnWriteArraySet<>();
  /** The connection each participant was last restored on, so none is restored twice on one. */
  private final Map<Participant<C>, C> restoredOn = new IdentityHashMap<>(); // recovery thread only
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong reconnects = new AtomicLong();
  /** Notified, under its own monitor, whenever {@link #connection} changes or the supervisor closes. */
  private final Object connectionChanged = new Object();

  private final Backoff backoff; // recovery thread only
  private Instant downSince; // recovery thread only
  private volatile C connection; // written on the recovery thread (and by close), read anywhere
  private volatile String lastFailure = "not connected yet"; // written on the recovery thread

  public ConnectionSupervisor(Connector<C> connector, Scheduler scheduler, Backoff backoff, String description) {
    this.connector = connector;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.description = description;
  }

  /** Starts connecting in the background. Returns at once; safe to call many times. */
  public void start() {
    if (closed.get()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    if (started.compareAndSet(false, true)) {
      execute(this::connect);
    }
  }

  /** Waits until connected, at most {@code timeout}. Returns whether it is connected. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    start();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (connectionChanged) {
      while (connection == null && !closed.get()) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(connectionChanged, remaining);
      }
    }
    return connection != null;
  }

  /** The broker node of the current connection ({@code host:port}), or null while disconnected. */
  public String currentAddress() {
    C current = connection;
    return current == null ? null : connector.addressOf(current);
  }

  /** The connection while connected, else null. */
  public C current() {
    return connection;
  }

  public boolean isConnected() {
    C current = connection;
    return current != null && connector.isOpen(current);
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** How many times the connection was re-established after a loss. */
  public long reconnects() {
    return reconnects.get();
  }

  /** Why the last attempt failed or the connection was lost, for messages. */
  public String lastFailure() {
    return lastFailure;
  }

  public String description() {
    return description;
  }

  /**
   * Adds a participant and starts connecting; once connected it is restored on the recovery thread
   * (at once if the connection is up).
   *
   * @throws io.myxi.broker.BrokerException once closed
   */
  public void register(Participant<C> participant) {
    start();
    participants.add(participant);
    execute(() -> {
      C current = connection;
      // A connect() that ran since the registration may have restored it on this connection already.
      if (current != null && participants.contains(participant) && restoredOn.get(participant) != current) {
        try {
          restore(participant, current);
        } catch (Exception e) {
          log.warn("Could not declare the node queue on RabbitMQ: {}; reconnecting", AmqpSupport.rootMessage(e));
          connector.abort(current);
        }
      }
    });
  }

  /** Forgets a participant (a closed node queue). Any thread. */
  public void unregister(Participant<C> participant) {
    participants.remove(participant);
    execute(() -> restoredOn.remove(participant));
  }

  // Recovery thread only.
  private void restore(Participant<C> participant, C current) throws Exception {
    participant.restore(current);
    restoredOn.put(participant, current);
  }

  /**
   * Runs {@code task} on the recovery thread, after the work already queued there. Does nothing
   * once closed.
   */
  public void execute(Runnable task) {
    if (closed.get()) {
      return;
    }
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException closing) {
      // close() won the race: nothing to do.
    }
  }

  /** Drops {@code current} (a participant could not restore itself on it): the loss handling reconnects. */
  public void dropConnection(C current) {
    connector.abort(current);
  }

  /** Closes every participant, stops the loop and closes the connection. Safe to call twice. */
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Participant<C> participant : participants) {
      participant.close();
    }
    scheduler.shutdown();
    C current;
    synchronized (connectionChanged) {
      current = connection;
      connection = null;
      connectionChanged.notifyAll();
    }
    if (current != null) {
      connector.abort(current);
    }
  }

  // Recovery thread only.
  private void connect() {
    if (closed.get()) {
      return;
    }
    C fresh = null;
    try {
      fresh = connector.open(this::onLost);
      for (Participant<C> participant : participants) {
        restore(participant, fresh);
      }
    } catch (Exception e) {
      lastFailure = AmqpSupport.rootMessage(e);
      if (fresh != null) {
        connector.abort(fresh);
      }
      long delay = backoff.nextDelayMillis();
      log.warn("Waiting for RabbitMQ at {} ({}); retrying in {} ms", description, lastFailure, delay);
      scheduleConnect(delay);
      return;
    }
    Instant wasDownSince = downSince;
    downSince = null;
    backoff.reset();
    synchronized (connectionChanged) {
      if (closed.get()) {
        connector.abort(fresh);
        return;
      }
      connection = fresh;
      connectionChanged.notifyAll();
    }
    if (wasDownSince != null) {
      reconnects.incrementAndGet();
      Instant now = scheduler.now();
      log.info("Reconnected to RabbitMQ at {} (node {}) after {} ms; queues and bindings restored", description, connector.addressOf(fresh),
          Duration.between(wasDownSince, now).toMillis());
      for (Participant<C> participant : participants) {
        participant.recovered(wasDownSince, now);
      }
    } else {
      log.info("Connected to RabbitMQ at {} (node {})", description, connector.addressOf(fresh));
    }
  }

  /** Called by the connector on the client's thread: hand the loss to the recovery thread. */
  private void onLost(C lost, String reason) {
    execute(() -> handleLoss(lost, reason));
  }

  // Recovery thread only.
  private void handleLoss(C lost, String reason) {
    if (closed.get() || connection != lost) {
      return; // Closing, or a connection that never became current (its failure was handled in connect).
    }
    synchronized (connectionChanged) {
      connection = null;
      connectionChanged.notifyAll();
    }
    if (downSince == null) {
      downSince = scheduler.now();
    }
    lastFailure = reason;
    log.warn("Lost the connection to RabbitMQ at {} (node {}: {}); reconnecting", description, connector.addressOf(lost), reason);
    for (Participant<C> participant : participants) {
      participant.lost(reason);
    }
    scheduleConnect(backoff.nextDelayMillis());
  }

  // Recovery thread only.
  private void scheduleConnect(long delayMillis) {
    if (closed.get()) {
      return;
    }
    try {
      scheduler.schedule(this::connect, delayMillis);
    } catch (RejectedExecutionException closing) {
      // close() won the race; nothing to reconnect.
    }
  }
}
