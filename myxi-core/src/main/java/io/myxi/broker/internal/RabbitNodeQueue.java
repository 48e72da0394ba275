package io.myxi.broker.internal;

import com.rabbitmq.client.CancelCallback;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.ShutdownSignalException;
import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's queue on RabbitMQ: server-named, exclusive and auto-delete, with one channel for its
 * bindings and one for consuming (manual acknowledgements in batches, bounded prefetch). Its bindings are
 * recorded as {@link Binding}s and restored, with the queue (maybe under a new name), whenever the
 * {@link ConnectionSupervisor} reconnects, or when the queue or its consumer channel is lost while
 * the connection lives.
 *
 * <p>Threads and locks: {@link #restore}, {@link #lost}, {@link #recovered} and the re-declaration
 * after a lost queue run on the supervisor's recovery thread. {@link #bind}, {@link #unbind} and
 * {@link #close} run on callers' threads. {@link #topologyLock} serializes every use of the
 * topology channel, of the {@link #unbindChannels} and of {@link #declaredExchanges} (declaring,
 * binding, unbinding, deleting); it is never held while calling the listener. {@link #lost} and
 * {@link #close} may abort those channels without it (an RPC in flight then fails, and the channel
 * is recreated on next use). Deliveries run on the connection's reader thread ({@link
 * ReaderThreadExecutor}); the unbind channels' answers complete futures on that thread too, which
 * only wakes the waiting caller.
 */
public final class RabbitNodeQueue implements NodeQueue, ConnectionSupervisor.Participant<Connection> {
  private static final Logger log = LoggerFactory.getLogger(RabbitNodeQueue.class);

  private final NodeQueue.Listener listener;
  private final ConnectionSupervisor<Connection> supervisor;
  private final int prefetch;
  /** Hands deliveries, single or packed, to the listener. */
  private final QueueDeliveries deliveries;
  /** Flushes batched acknowledgements (see {@link BatchedAcks}); one daemon thread, idle but for that. */
  private final ScheduledExecutorService ackTimer;
  /**
   * The longest a handled delivery waits for its acknowledgement when fewer than a batch follow it.
   * Long enough that a steady trickle (a pack a millisecond) is acknowledged by the batch or every
   * 50 ms, not by a timer wake-up and an ack frame every few deliveries (5 ms cost the node a
   * thread wake-up and RabbitMQ an ack per 5 packs); harmless, since unacknowledged deliveries stay
   * below a batch, far under the prefetch.
   */
  static final long ACK_DELAY_MILLIS = 50;
  /** The recorded topology: restored on every new queue. Concurrent; changed on callers' threads. */
  private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
  private final ReentrantLock topologyLock = new ReentrantLock();
  private final DeclaredExchanges declaredExchanges; // under topologyLock
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Channel topologyChannel; // used under topologyLock; cleared on the recovery thread
  /** Runs of unbinds, sent over extra channels at once. Used under topologyLock. */
  private final UnbindChannels unbindChannels = new UnbindChannels();
  private volatile String queueName; // null while detached
  private volatile Channel consumerChannel;
  private Instant queueDownSince; // recovery thread only

  public RabbitNodeQueue(NodeQueue.Listener listener, ConnectionSupervisor<Connection> supervisor, RabbitMqSettings settings) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.supervisor = supervisor;
    this.prefetch = settings.prefetch();
    this.deliveries = new QueueDeliveries(listener, settings.routingBuckets() == 0 ? bindings : null);
    this.ackTimer = Executors.newSingleThreadScheduledExecutor(AmqpSupport.daemonThreads("myxi-amqp-acks"));
    this.declaredExchanges = new DeclaredExchanges(settings.exchangeDurable(), settings.exchangeAutoDelete());
  }

  /** Declares the queue, restores every binding and starts consuming. Recovery thread only. */
  @Override
  public void restore(Connection current) throws IOException {
    if (closed.get()) {
      return;
    }
    topologyLock.lock();
    try {
      Channel existing = consumerChannel;
      if (queueName != null && existing != null && existing.isOpen() && existing.getConnection() == current) {
        return; // Attached by the connection's own start-up already.
      }
      Channel topology = current.createChannel();
      String name = topology.queueDeclare("", false, true, true, null).getQueue();
      for (Binding binding : bindings) {
        declaredExchanges.declare(topology, binding.exchange());
        topology.queueBind(name, binding.exchange(), binding.routingKey());
      }
      Channel consumer = current.createChannel();
      consumer.basicQos(prefetch);
      consumer.basicConsume(name, false, onDelivery(new BatchedAcks(consumer, BatchedAcks.batchFor(prefetch), ACK_DELAY_MILLIS, ackTimer)), onCancel());
      consumer.addShutdownListener(cause -> {
        // A channel error (not the whole connection, not our own close) ends the consumer; the
        // auto-delete queue goes with it. The supervisor handles the loss of the connection.
        if (!cause.isHardError() && !cause.isInitiatedByApplication() && consumerChannel == consumer) {
          reattachLater("lost its consumer channel (" + AmqpSupport.rootMessage(cause) + ")", "consumer channel closed");
        }
      });
      topologyChannel = topology;
      consumerChannel = consumer;
      queueName = name;
      log.debug("Node queue {} declared with {} bindings", name, bindings.size());
    } finally {
      topologyLock.unlock();
    }
  }

  private DeliverCallback onDelivery(BatchedAcks acks) {
    return (tag, delivery) -> {
      try {
        deliveries.handle(delivery);
      } finally {
        acks.handled(delivery.getEnvelope().getDeliveryTag());
      }
    };
  }

  private CancelCallback onCancel() {
    return tag -> reattachLater("was deleted on RabbitMQ", "queue deleted");
  }

  /**
   * The queue or its consumer is gone while the connection lives: declare it again with every
   * binding. Called on AMQP client threads, which must not wait for the broker, so the work runs
   * on the recovery thread.
   */
  private void reattachLater(String what, String reason) {
    if (closed.get()) {
      return;
    }
    Instant since = Instant.now();
    String lostName = queueName;
    supervisor.execute(() -> {
      if (closed.get() || queueName == null || !Objects.equals(queueName, lostName)) {
        return; // Closed, or already recovered by a reconnection.
      }
      log.warn("Node queue {} {}; declaring it again with its {} bindings", lostName, what, bindings.size());
      lost(reason);
      queueDownSince = since;
      Connection current = supervisor.current();
      if (current == null) {
        return; // The connection's own recovery will restore and notify.
      }
      try {
        restore(current);
        recovered(since, Instant.now());
      } catch (Exception e) {
        log.warn("Could not declare the node queue again: {}; reconnecting", AmqpSupport.rootMessage(e));
        supervisor.dropConnection(current);
      }
    });
  }

  /** Forgets the queue and its channels and tells the listener. Recovery thread only. */
  @Override
  public void lost(String reason) {
    String lostName = queueName;
    queueName = null;
    Channel topology = topologyChannel;
    Channel consumer = consumerChannel;
    topologyChannel = null;
    consumerChannel = null;
    AmqpSupport.abortQuietly(topology);
    AmqpSupport.abortQuietly(consumer);
    unbindChannels.abortAll();
    if (lostName != null) {
      try {
        listener.onDisconnected(reason);
      } catch (RuntimeException e) {
        log.error("Node queue listener threw in onDisconnected", e);
      }
    }
  }

  /** Recovery thread only. */
  @Override
  public void recovered(Instant since, Instant upAt) {
    Instant queueSince = queueDownSince;
    queueDownSince = null;
    Instant from = queueSince != null && queueSince.isBefore(since) ? queueSince : since;
    try {
      listener.onRecovered(from, upAt);
    } catch (RuntimeException e) {
      log.error("Node queue listener threw in onRecovered", e);
    }
  }

  @Override
  public void bind(String exchange, String routingKey, Duration timeout) {
    Binding binding = new Binding(exchange, routingKey);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!topologyLock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        throw new BrokerException("RabbitMQ did not confirm the binding within " + timeout.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerException("interrupted while binding", e);
    }
    try {
      if (closed.get()) {
        throw new BrokerException("node queue is closed");
      }
      Channel topology = topologyChannel;
      String name = queueName;
      if (topology == null || name == null || !topology.isOpen()) {
        throw new BrokerException("not connected to RabbitMQ at " + supervisor.description() + " (" + supervisor.lastFailure() + ")");
      }
      declaredExchanges.declare(topology, exchange);
      topology.queueBind(name, exchange, routingKey);
      bindings.add(binding);
    } catch (IOException | ShutdownSignalException e) {
      reopenTopologyChannel();
      throw new BrokerException("binding failed: " + AmqpSupport.rootMessage(e), e);
    } finally {
      topologyLock.unlock();
    }
  }

  /**
   * Pipelined: every bind of a run is sent without waiting ({@code queue.bind} with no-wait), and
   * the run's last bind waits for its answer. AMQP answers a channel's methods in order, and a bind
   * that fails closes the channel, so that answer confirms every bind before it. Unbinds (AMQP has
   * no no-wait unbind) keep their place in the order: a run of them is sent over {@link
   * UnbindChannels#WIDTH} channels at once and every one is answered before the next change goes out,
   * so an unbind still reaches the broker before a later re-bind of its key. A failure fails only
   * the binds not yet confirmed; the channel is reopened and the rest of the batch goes on.
   */
  @Override
  public List<BrokerException> apply(List<Change> changes, Duration timeout) {
    List<BrokerException> results = new ArrayList<>(changes.size());
    for (int i = 0; i < changes.size(); i++) {
      results.add(null);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!topologyLock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        failBinds(changes, results, 0, new BrokerException("RabbitMQ did not confirm the binding within " + timeout.toMillis() + " ms"));
        return results;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failBinds(changes, results, 0, new BrokerException("interrupted while binding", e));
      return results;
    }
    try {
      List<Integer> unconfirmed = new ArrayList<>();
      int next = 0;
      while (next < changes.size()) {
        if (closed.get()) {
          failBinds(changes, results, next, new BrokerException("node queue is closed"));
          return results;
        }
        Channel topology = topologyChannel;
        String name = queueName;
        if (topology == null || name == null || !topology.isOpen()) {
          BrokerException down = new BrokerException("not connected to RabbitMQ at " + supervisor.description() + " (" + supervisor.lastFailure() + ")");
          for (int i = next; i < changes.size(); i++) {
            if (!changes.get(i).bind()) {
              bindings.remove(new Binding(changes.get(i).exchange(), changes.get(i).routingKey()));
            }
          }
          failBinds(changes, results, next, down);
          return results;
        }
        try {
          while (next < changes.size()) {
            Change change = changes.get(next);
            Binding binding = new Binding(change.exchange(), change.routingKey());
            if (change.bind()) {
              unconfirmed.add(next);
              declaredExchanges.declare(topology, change.exchange());
              boolean lastOfRun = next + 1 == changes.size() || !changes.get(next + 1).bind();
              if (lastOfRun) {
                topology.queueBind(name, change.exchange(), change.routingKey());
                for (int confirmed : unconfirmed) {
                  bindings.add(new Binding(changes.get(confirmed).exchange(), changes.get(confirmed).routingKey()));
                }
                unconfirmed.clear();
              } else {
                topology.queueBindNoWait(name, change.exchange(), change.routingKey(), null);
              }
            } else {
              int runEnd = next + 1;
              while (runEnd < changes.size() && !changes.get(runEnd).bind()) {
                runEnd++;
              }
              if (runEnd - next > 1) {
                for (int i = next; i < runEnd; i++) {
                  bindings.remove(new Binding(changes.get(i).exchange(), changes.get(i).routingKey()));
                }
                int from = next;
                next = runEnd;
                unbindChannels.unbindTogether(topology, name, changes.subList(from, runEnd), System.nanoTime() + timeout.toNanos());
                continue;
              }
              bindings.remove(binding);
              next++; // Best effort: not retried on a new channel if this fails.
              topology.queueUnbind(name, change.exchange(), change.routingKey());
              continue;
            }
            next++;
          }
        } catch (IOException | ShutdownSignalException e) {
          BrokerException failure = new BrokerException("binding failed: " + AmqpSupport.rootMessage(e), e);
          if (unconfirmed.isEmpty()) {
            log.warn("Could not unbind: {}", AmqpSupport.rootMessage(e));
          }
          for (int index : unconfirmed) {
            results.set(index, failure);
          }
          if (!unconfirmed.isEmpty()) {
            next = unconfirmed.get(unconfirmed.size() - 1) + 1;
          }
          unconfirmed.clear();
          reopenTopologyChannel();
        }
      }
      return results;
    } finally {
      topologyLock.unlock();
    }
  }

  private static void failBinds(List<Change> changes, List<BrokerException> results, int from, BrokerException failure) {
    for (int i = from; i < changes.size(); i++) {
      if (changes.get(i).bind()) {
        results.set(i, failure);
      }
    }
  }

  /** A failed declaration closes the channel (AMQP semantics); keep the queue usable. Under topologyLock. */
  private void reopenTopologyChannel() {
    Connection current = supervisor.current();
    Channel topology = topologyChannel;
    if (current != null && current.isOpen() && (topology == null || !topology.isOpen()) && queueName != null) {
      try {
        topologyChannel = current.createChannel(); // Its exchange cache starts empty (DeclaredExchanges).
      } catch (IOException e) {
        log.warn("Could not reopen the binding channel: {}", AmqpSupport.rootMessage(e));
      }
    }
  }

  @Override
  public void unbind(String exchange, String routingKey) {
    bindings.remove(new Binding(exchange, routingKey));
    topologyLock.lock();
    try {
      Channel topology = topologyChannel;
      String name = queueName;
      if (topology != null && name != null && topology.isOpen()) {
        topology.queueUnbind(name, exchange, routingKey);
      }
    } catch (IOException | ShutdownSignalException e) {
      log.warn("Could not unbind {} / {}: {}", exchange, AmqpSupport.printable(routingKey), AmqpSupport.rootMessage(e));
      reopenTopologyChannel();
    } finally {
      topologyLock.unlock();
    }
  }

  @Override
  public Set<String> bindings() {
    return bindings.stream().map(Binding::joined).collect(Collectors.toUnmodifiableSet());
  }

  /** The recorded bindings, typed. */
  public Set<Binding> recordedBindings() {
    return Set.copyOf(bindings);
  }

  @Override
  public String name() {
    return queueName;
  }

  @Override
  public boolean isConnected() {
    return queueName != null;
  }

  /** The consuming channel, so tests can make the broker close it. */
  public Channel consumerChannel() {
    return consumerChannel;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    supervisor.unregister(this);
    ackTimer.shutdown();
    topologyLock.lock();
    try {
      Channel consumer = consumerChannel;
      Channel topology = topologyChannel;
      String name = queueName;
      if (topology != null && topology.isOpen() && name != null) {
        topology.queueDelete(name);
      }
      for (Channel channel : new Channel[] {consumer, topology}) {
        if (channel != null && channel.isOpen()) {
          channel.close();
        }
      }
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      log.warn("Could not delete node queue {}: {} (it is exclusive and goes with the connection)", queueName, AmqpSupport.rootMessage(e));
    } finally {
      queueName = null;
      topologyChannel = null;
      consumerChannel = null;
      unbindChannels.abortAll();
      topologyLock.unlock();
    }
  }
}
