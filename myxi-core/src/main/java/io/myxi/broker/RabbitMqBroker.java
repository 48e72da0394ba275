package io.myxi.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.CancelCallback;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production broker: RabbitMQ through the official Java client.
 *
 * <p>Two AMQP connections per instance: one for the node queues (named as configured) and one for
 * publishing (the name plus {@code -publisher}), opened on the first publish. They are separate
 * because RabbitMQ stops reading from a connection that publishes during a resource alarm; the
 * node keeps delivering, acknowledging and binding while publishers are blocked. The client's own
 * automatic recovery is off: this class reconnects with capped exponential backoff and jitter,
 * declares each node queue again (server-named, so it may get a new name), restores every binding
 * and only then reports the queue recovered. A broker that is absent at start is waited for in the
 * same way.
 *
 * <p>Thread-safe. AMQP channels are not shared between threads: publishing uses one confirm channel
 * on a publishing thread (callers wait for it at most their timeout), each node queue one channel
 * for bindings (under its own lock) and one for consuming. A consumer channel closed by the broker,
 * or a queue deleted under the node, is declared again with its bindings.
 */
public final class RabbitMqBroker implements Broker {
  private static final Logger log = LoggerFactory.getLogger(RabbitMqBroker.class);
  private static final AMQP.BasicProperties JSON_PROPERTIES = new AMQP.BasicProperties.Builder()
      .contentType("application/json")
      .contentEncoding("utf-8")
      .deliveryMode(1)
      .build();

  private final ConnectionFactory factory;
  private final String description;
  private final Duration initialRecoveryDelay;
  private final Duration maxRecoveryDelay;
  private final boolean exchangeDurable;
  private final boolean exchangeAutoDelete;
  private final int prefetch;
  private final String connectionName;

  private final ScheduledExecutorService recoveryThread;
  private final ExecutorService publishThread;
  private final ExecutorService closer;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object connectionChanged = new Object();
  private final Set<RabbitNodeQueue> nodeQueues = new CopyOnWriteArraySet<>();
  private final Set<String> declaredExchanges = ConcurrentHashMap.newKeySet();
  private final AtomicLong reconnects = new AtomicLong();

  private volatile Connection connection;
  private volatile String blockedReason;
  private volatile Instant downSince;
  private volatile String lastFailure = "not connected yet";
  private volatile Connection publishConnection; // opened on the publishing thread only
  private Channel publishChannel; // used on the publishing thread only
  private long nextPublishConnectAttempt; // publishing thread only
  private int publishConnectFailures; // publishing thread only
  private String lastPublishFailure = "not connected yet"; // publishing thread only
  private int failedAttempts; // used on the recovery thread only

  private RabbitMqBroker(Builder builder) {
    this.factory = builder.factory;
    this.description = builder.description;
    this.initialRecoveryDelay = builder.initialRecoveryDelay;
    this.maxRecoveryDelay = builder.maxRecoveryDelay;
    this.exchangeDurable = builder.exchangeDurable;
    this.exchangeAutoDelete = builder.exchangeAutoDelete;
    this.prefetch = builder.prefetch;
    this.connectionName = builder.connectionName;
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    factory.setExceptionHandler(new LoggingExceptionHandler());
    this.recoveryThread = Executors.newSingleThreadScheduledExecutor(daemonThreads("myxi-amqp-recovery"));
    this.publishThread = Executors.newSingleThreadExecutor(daemonThreads("myxi-amqp-publish"));
    // Idle threads end after a minute, so closing channels in the background creates no lasting threads.
    this.closer = new ThreadPoolExecutor(0, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads("myxi-amqp-closer"));
  }

  public static Builder builder() {
    return new Builder();
  }

  private static ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Starts connecting the node queues' connection in the background. Called by the first node
   * queue; call it early to connect at start-up. Returns at once; safe to call many times.
   */
  public void start() {
    if (closed.get()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    if (started.compareAndSet(false, true)) {
      recoveryThread.execute(this::connect);
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

  /** How many times the connection was re-established after a loss. */
  public long reconnects() {
    return reconnects.get();
  }

  @Override
  public boolean isConnected() {
    Connection current = connection;
    Connection publishing = publishConnection;
    return current != null && current.isOpen() || publishing != null && publishing.isOpen();
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(body, "body");
    if (closed.get()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    failIfBlocked();
    // AMQP calls such as opening a channel wait up to the client's RPC timeout whatever the caller's
    // bound, and a blocked connection does not answer them: run them on the publishing thread and
    // wait for it at most until the deadline.
    Future<?> done;
    try {
      done = publishThread.submit(() -> {
        publishNow(exchange, routingKey, body, deadline, timeout);
        return null;
      });
    } catch (RejectedExecutionException e) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    try {
      done.get(Math.max(0, remainingNanos(deadline)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      done.cancel(false);
      throw new BrokerException(blockedReason != null ? blockedMessage() : "no confirm within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BrokerException brokerException) {
        throw brokerException;
      }
      throw new BrokerException("publish failed: " + rootMessage(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done.cancel(false);
      throw new BrokerException("interrupted while publishing", e);
    }
  }

  private void failIfBlocked() {
    if (blockedReason != null) {
      throw new BrokerException(blockedMessage());
    }
  }

  private String blockedMessage() {
    return "RabbitMQ is blocking publishers (" + blockedReason + ")";
  }

  // Runs on the publishing thread only.
  private void publishNow(String exchange, String routingKey, byte[] body, long deadline, Duration timeout) {
    if (remainingNanos(deadline) <= 0) {
      throw new BrokerException("no confirm within " + timeout.toMillis() + " ms (publishers queued)");
    }
    failIfBlocked();
    Connection current = publishConnection();
    Channel channel = publishChannel;
    try {
      if (channel == null || !channel.isOpen() || channel.getConnection() != current) {
        channel = current.createChannel();
        channel.confirmSelect();
        publishChannel = channel;
      }
      declareExchange(channel, exchange);
      channel.basicPublish(exchange, routingKey, false, JSON_PROPERTIES, body);
      // Not waitForConfirmsOrDie: on a timeout it closes the channel and waits for the broker to
      // agree, which a blocked broker never does in time.
      if (!channel.waitForConfirms(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos(deadline))))) {
        throw new BrokerException("RabbitMQ refused the event (basic.nack)");
      }
    } catch (TimeoutException e) {
      discardPublishChannel(channel);
      throw new BrokerException(blockedReason != null ? blockedMessage() : "no confirm within " + timeout.toMillis() + " ms", e);
    } catch (IOException | ShutdownSignalException | InterruptedException e) {
      discardPublishChannel(channel);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new BrokerException("publish failed: " + rootMessage(e), e);
    }
  }

  /**
   * The publishing connection, opened on demand. Publishing has a connection of its own because
   * RabbitMQ stops reading from a connection that publishes during a resource alarm: sharing one
   * would stall the node's deliveries, acknowledgements and bindings too. Runs on the publishing
   * thread only; after a failed attempt, publishes fail at once for a short while instead of each
   * trying again.
   */
  private Connection publishConnection() {
    Connection current = publishConnection;
    if (current != null && current.isOpen()) {
      return current;
    }
    long now = System.nanoTime();
    if (now < nextPublishConnectAttempt) {
      throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastPublishFailure + ")");
    }
    try {
      Connection fresh = factory.newConnection(connectionName + "-publisher");
      fresh.addBlockedListener(new BlockedListener() {
        @Override
        public void handleBlocked(String reason) {
          blockedReason = reason;
          log.warn("RabbitMQ is blocking publishers: {}", reason);
        }

        @Override
        public void handleUnblocked() {
          blockedReason = null;
          log.info("RabbitMQ is accepting publishers again");
        }
      });
      fresh.addShutdownListener(cause -> blockedReason = null);
      blockedReason = null;
      publishConnection = fresh;
      publishConnectFailures = 0;
      if (closed.get()) {
        closeQuietly(fresh);
        throw new BrokerException("RabbitMQ broker is closed");
      }
      return fresh;
    } catch (IOException | TimeoutException e) {
      lastPublishFailure = rootMessage(e);
      long wait = Math.min(maxRecoveryDelay.toMillis(), initialRecoveryDelay.toMillis() << Math.min(publishConnectFailures++, 10));
      nextPublishConnectAttempt = now + TimeUnit.MILLISECONDS.toNanos(wait);
      throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastPublishFailure + ")", e);
    }
  }

  /**
   * A channel with confirms still outstanding would answer for them on the next publish: drop it.
   * Closing waits for the broker, so it happens off the publishing thread.
   */
  private void discardPublishChannel(Channel channel) {
    publishChannel = null;
    if (channel != null && channel.isOpen()) {
      closer.execute(() -> {
        try {
          channel.abort();
        } catch (IOException | RuntimeException ignored) {
          // The channel or its connection is going away anyway.
        }
      });
    }
  }

  private void declareExchange(Channel channel, String exchange) throws IOException {
    if (!declaredExchanges.contains(exchange)) {
      channel.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, exchangeDurable, exchangeAutoDelete, null);
      declaredExchanges.add(exchange);
    }
  }

  @Override
  public NodeQueue openNodeQueue(NodeQueue.Listener listener) {
    RabbitNodeQueue queue = new RabbitNodeQueue(Objects.requireNonNull(listener, "listener"));
    nodeQueues.add(queue);
    start();
    recoveryThread.execute(() -> {
      Connection current = connection;
      if (current != null) {
        try {
          queue.attach(current);
        } catch (Exception e) {
          log.warn("Could not declare the node queue on RabbitMQ: {}; reconnecting", rootMessage(e));
          closeQuietly(current);
        }
      }
    });
    return queue;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (RabbitNodeQueue queue : nodeQueues) {
      queue.close();
    }
    recoveryThread.shutdownNow();
    publishThread.shutdownNow();
    closer.shutdown();
    Connection current = connection;
    connection = null;
    if (current != null) {
      closeQuietly(current);
    }
    Connection publishing = publishConnection;
    publishConnection = null;
    if (publishing != null) {
      closeQuietly(publishing);
    }
    synchronized (connectionChanged) {
      connectionChanged.notifyAll();
    }
  }

  // Runs on the recovery thread only.
  private void connect() {
    if (closed.get()) {
      return;
    }
    Connection fresh = null;
    try {
      fresh = factory.newConnection(connectionName);
      final Connection watched = fresh;
      fresh.addShutdownListener(cause -> onConnectionLost(watched, cause));
      declaredExchanges.clear();
      for (RabbitNodeQueue queue : nodeQueues) {
        queue.attach(fresh);
      }
    } catch (Exception e) {
      lastFailure = rootMessage(e);
      if (fresh != null) {
        closeQuietly(fresh);
      }
      long delay = nextDelayMillis();
      log.warn("Waiting for RabbitMQ at {} ({}); retrying in {} ms", description, lastFailure, delay);
      scheduleConnect(delay);
      return;
    }
    Instant wasDownSince = downSince;
    downSince = null;
    failedAttempts = 0;
    synchronized (connectionChanged) {
      connection = fresh;
      connectionChanged.notifyAll();
    }
    if (wasDownSince != null) {
      reconnects.incrementAndGet();
      Instant now = Instant.now();
      log.info("Reconnected to RabbitMQ at {} after {} ms; queues and bindings restored", description, Duration.between(wasDownSince, now).toMillis());
      for (RabbitNodeQueue queue : nodeQueues) {
        queue.notifyRecovered(wasDownSince, now);
      }
    } else {
      log.info("Connected to RabbitMQ at {}", description);
    }
  }

  private void onConnectionLost(Connection lost, ShutdownSignalException cause) {
    if (closed.get()) {
      return;
    }
    synchronized (connectionChanged) {
      if (connection != lost) {
        return;
      }
      connection = null;
    }
    if (downSince == null) {
      downSince = Instant.now();
    }
    lastFailure = rootMessage(cause);
    log.warn("Lost the connection to RabbitMQ at {} ({}); reconnecting", description, lastFailure);
    for (RabbitNodeQueue queue : nodeQueues) {
      queue.detach(lastFailure);
    }
    scheduleConnect(nextDelayMillis());
  }

  private void scheduleConnect(long delayMillis) {
    if (!closed.get()) {
      try {
        recoveryThread.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // close() won the race; nothing to reconnect.
      }
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so nodes spread out. */
  private long nextDelayMillis() {
    long base = initialRecoveryDelay.toMillis();
    long cap = maxRecoveryDelay.toMillis();
    int attempt = Math.min(failedAttempts++, 20);
    long ceiling = Math.min(cap, base << attempt);
    long half = ceiling / 2;
    return half + ThreadLocalRandom.current().nextLong(half + 1);
  }

  private static long remainingNanos(long deadline) {
    return deadline - System.nanoTime();
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (e instanceof ShutdownSignalException signal && signal.getReason() != null) {
      String reason = signal.getReason().protocolMethodName();
      if (signal.getReason() instanceof AMQP.Connection.Close close) {
        return "connection closed: " + close.getReplyCode() + " " + close.getReplyText();
      }
      if (signal.getReason() instanceof AMQP.Channel.Close close) {
        return "channel closed: " + close.getReplyCode() + " " + close.getReplyText();
      }
      return reason;
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.abort(2000);
    } catch (RuntimeException ignored) {
      // Already closed.
    }
  }

  private final class RabbitNodeQueue implements NodeQueue {
    private final NodeQueue.Listener listener;
    private final Set<String> bindings = ConcurrentHashMap.newKeySet();
    private final ReentrantLock topologyLock = new ReentrantLock();
    private final AtomicBoolean queueClosed = new AtomicBoolean();
    private volatile String queueName;
    private volatile Channel topologyChannel; // used under topologyLock
    private volatile Channel consumerChannel;
    private volatile Instant queueDownSince;

    RabbitNodeQueue(NodeQueue.Listener listener) {
      this.listener = listener;
    }

    /** Declares the queue, restores every binding and starts consuming. Recovery thread only. */
    void attach(Connection current) throws IOException {
      if (queueClosed.get()) {
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
        for (String binding : bindings) {
          int separator = binding.indexOf('\0');
          String exchange = binding.substring(0, separator);
          declareExchange(topology, exchange);
          topology.queueBind(name, exchange, binding.substring(separator + 1));
        }
        Channel consumer = current.createChannel();
        consumer.basicQos(prefetch);
        DeliverCallback onDeliver = (tag, delivery) -> {
          try {
            listener.onDelivery(delivery.getEnvelope().getExchange(), delivery.getEnvelope().getRoutingKey(), delivery.getBody());
          } catch (RuntimeException | Error e) {
            // Even an Error: the delivery is acknowledged below, or it would hold a prefetch slot forever.
            log.error("Delivery listener threw; delivery on {} / {} dropped", delivery.getEnvelope().getExchange(), delivery.getEnvelope().getRoutingKey(), e);
          } finally {
            consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
          }
        };
        CancelCallback onCancel = tag -> reattachLater("was deleted on RabbitMQ", "queue deleted");
        consumer.addShutdownListener(cause -> {
          // A channel error (not the whole connection, not our own close) ends the consumer; the
          // auto-delete queue goes with it. The connection's own listener handles connection loss.
          if (!cause.isHardError() && !cause.isInitiatedByApplication() && consumerChannel == consumer) {
            reattachLater("lost its consumer channel (" + rootMessage(cause) + ")", "consumer channel closed");
          }
        });
        consumer.basicConsume(name, false, onDeliver, onCancel);
        topologyChannel = topology;
        consumerChannel = consumer;
        queueName = name;
        log.debug("Node queue {} declared with {} bindings", name, bindings.size());
      } finally {
        topologyLock.unlock();
      }
    }

    /**
     * The queue or its consumer is gone while the connection lives: declare it again with every
     * binding. Called on AMQP client threads, which must not wait for the broker, so the work runs
     * on the recovery thread.
     */
    private void reattachLater(String what, String reason) {
      if (queueClosed.get() || closed.get()) {
        return;
      }
      Instant since = Instant.now();
      String lostName = queueName;
      try {
        recoveryThread.execute(() -> {
          if (queueClosed.get() || closed.get() || queueName == null || !Objects.equals(queueName, lostName)) {
            return; // Closed, or already recovered by a reconnection.
          }
          log.warn("Node queue {} {}; declaring it again with its {} bindings", lostName, what, bindings.size());
          detach(reason);
          queueDownSince = since;
          Connection current = connection;
          if (current == null) {
            return; // The connection's own recovery will attach and notify.
          }
          try {
            attach(current);
            notifyRecovered(since, Instant.now());
          } catch (Exception e) {
            log.warn("Could not declare the node queue again: {}; reconnecting", rootMessage(e));
            closeQuietly(current);
          }
        });
      } catch (RejectedExecutionException closing) {
        // The broker is closing.
      }
    }

    void detach(String reason) {
      String lostName = queueName;
      queueName = null;
      Channel topology = topologyChannel;
      Channel consumer = consumerChannel;
      topologyChannel = null;
      consumerChannel = null;
      for (Channel channel : new Channel[] {topology, consumer}) {
        if (channel != null && channel.isOpen()) {
          try {
            channel.abort();
          } catch (IOException | RuntimeException ignored) {
            // The channel is going away anyway.
          }
        }
      }
      if (lostName != null) {
        try {
          listener.onDisconnected(reason);
        } catch (RuntimeException e) {
          log.error("Node queue listener threw in onDisconnected", e);
        }
      }
    }

    void notifyRecovered(Instant since, Instant upAt) {
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
      String binding = exchange + '\0' + routingKey;
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        if (!topologyLock.tryLock(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
          throw new BrokerException("RabbitMQ did not confirm the binding within " + timeout.toMillis() + " ms");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrokerException("interrupted while binding", e);
      }
      try {
        Channel topology = topologyChannel;
        String name = queueName;
        if (topology == null || name == null || !topology.isOpen()) {
          throw new BrokerException("not connected to RabbitMQ at " + description + " (" + lastFailure + ")");
        }
        declareExchange(topology, exchange);
        topology.queueBind(name, exchange, routingKey);
        bindings.add(binding);
      } catch (IOException | ShutdownSignalException e) {
        reopenTopologyChannel();
        throw new BrokerException("binding failed: " + rootMessage(e), e);
      } finally {
        topologyLock.unlock();
      }
    }

    /** A failed declaration closes the channel (AMQP semantics); keep the queue usable. */
    private void reopenTopologyChannel() {
      Connection current = connection;
      Channel topology = topologyChannel;
      if (current != null && current.isOpen() && (topology == null || !topology.isOpen()) && queueName != null) {
        try {
          topologyChannel = current.createChannel();
        } catch (IOException e) {
          log.warn("Could not reopen the binding channel: {}", rootMessage(e));
        }
      }
    }

    @Override
    public void unbind(String exchange, String routingKey) {
      bindings.remove(exchange + '\0' + routingKey);
      topologyLock.lock();
      try {
        Channel topology = topologyChannel;
        String name = queueName;
        if (topology != null && name != null && topology.isOpen()) {
          topology.queueUnbind(name, exchange, routingKey);
        }
      } catch (IOException | ShutdownSignalException e) {
        log.warn("Could not unbind {} / {}: {}", exchange, routingKey, rootMessage(e));
        reopenTopologyChannel();
      } finally {
        topologyLock.unlock();
      }
    }

    @Override
    public Set<String> bindings() {
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

    @Override
    public void close() {
      if (!queueClosed.compareAndSet(false, true)) {
        return;
      }
      nodeQueues.remove(this);
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
        log.warn("Could not delete node queue {}: {} (it is exclusive and goes with the connection)", queueName, rootMessage(e));
      } finally {
        queueName = null;
        topologyChannel = null;
        consumerChannel = null;
        topologyLock.unlock();
      }
    }
  }

  /** The consuming channel of a node queue, so tests can make the broker close it. */
  static Channel consumerChannelOf(NodeQueue queue) {
    return ((RabbitNodeQueue) queue).consumerChannel;
  }

  /** Logs errors on the client's threads and, unlike the default, never closes a channel for them. */
  private static final class LoggingExceptionHandler extends ForgivingExceptionHandler {
    @Override
    protected void log(String message, Throwable e) {
      log.error("RabbitMQ client: {}", message, e);
    }
  }

  /** Builds {@link RabbitMqBroker}s. */
  public static final class Builder {
    private ConnectionFactory factory;
    private String description;
    private Duration initialRecoveryDelay = Duration.ofMillis(500);
    private Duration maxRecoveryDelay = Duration.ofSeconds(30);
    private boolean exchangeDurable;
    private boolean exchangeAutoDelete;
    private int prefetch = 1000;
    private String connectionName = "myxi";
    private Duration connectionTimeout = Duration.ofSeconds(10);
    private Duration heartbeat = Duration.ofSeconds(10);
    private Duration rpcTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /** An AMQP URI such as {@code amqp://guest:guest@127.0.0.1:5672/%2F} or {@code amqps://...}. */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri == null");
      ConnectionFactory fresh = new ConnectionFactory();
      try {
        fresh.setUri(uri);
      } catch (Exception e) {
        // Not chained: the parser's exception quotes the URI, password included.
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replace(uri, redact(uri));
        String password = password(uri);
        if (!password.isEmpty()) {
          reason = reason.replace(password, "***");
        }
        throw new IllegalArgumentException("invalid RabbitMQ URI: " + redact(uri) + " (" + reason + ")");
      }
      this.factory = fresh;
      this.description = redact(uri);
      return this;
    }

    /** A fully configured factory (TLS, credentials...); its recovery settings are overridden. */
    public Builder connectionFactory(ConnectionFactory factory) {
      this.factory = Objects.requireNonNull(factory, "factory == null");
      this.description = (factory.isSSL() ? "amqps://" : "amqp://") + factory.getHost() + ":" + factory.getPort() + "/" + factory.getVirtualHost();
      return this;
    }

    /** First reconnection delay; it doubles up to {@link #maxRecoveryDelay}. Default 500 ms. */
    public Builder recoveryDelay(Duration delay) {
      this.initialRecoveryDelay = positive(delay, "recoveryDelay");
      return this;
    }

    /** Longest reconnection delay. Default 30 s. */
    public Builder maxRecoveryDelay(Duration delay) {
      this.maxRecoveryDelay = positive(delay, "maxRecoveryDelay");
      return this;
    }

    /** Declare exchanges durable. Default false, as the gem does; both must agree. */
    public Builder exchangeDurable(boolean durable) {
      this.exchangeDurable = durable;
      return this;
    }

    /** Declare exchanges auto-delete. Default false, as the gem does; both must agree. */
    public Builder exchangeAutoDelete(boolean autoDelete) {
      this.exchangeAutoDelete = autoDelete;
      return this;
    }

    /** Unacknowledged deliveries in flight to a node. Default 1000. */
    public Builder prefetch(int prefetch) {
      if (prefetch < 1 || prefetch > 65535) {
        throw new IllegalArgumentException("prefetch must be in 1..65535: " + prefetch);
      }
      this.prefetch = prefetch;
      return this;
    }

    /** Name shown in the RabbitMQ management UI. Default "myxi". */
    public Builder connectionName(String name) {
      this.connectionName = Objects.requireNonNull(name, "name == null");
      return this;
    }

    /** TCP connect timeout. Default 10 s. */
    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = positive(timeout, "connectionTimeout");
      return this;
    }

    /** AMQP heartbeat: a silent broker is detected after about twice this. Default 10 s. */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat = positive(heartbeat, "heartbeat");
      return this;
    }

    /** Longest wait for an AMQP operation such as a binding. Default 10 s. */
    public Builder rpcTimeout(Duration timeout) {
      this.rpcTimeout = positive(timeout, "rpcTimeout");
      return this;
    }

    public RabbitMqBroker build() {
      if (factory == null) {
        throw new IllegalStateException("uri or connectionFactory is required");
      }
      factory.setConnectionTimeout((int) connectionTimeout.toMillis());
      factory.setRequestedHeartbeat((int) Math.max(1, heartbeat.toSeconds()));
      factory.setChannelRpcTimeout((int) rpcTimeout.toMillis());
      factory.setHandshakeTimeout((int) connectionTimeout.toMillis());
      return new RabbitMqBroker(this);
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name + " == null");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    /** The URI without its password, for logs. */
    static String redact(String uri) {
      int[] userInfo = userInfoRange(uri);
      if (userInfo == null) {
        return uri;
      }
      String info = uri.substring(userInfo[0], userInfo[1]);
      int colon = info.indexOf(':');
      if (colon < 0) {
        return uri;
      }
      return uri.substring(0, userInfo[0]) + info.substring(0, colon) + ":***" + uri.substring(userInfo[1]);
    }

    /** The password part of a URI's user info, or "". */
    static String password(String uri) {
      int[] userInfo = userInfoRange(uri);
      if (userInfo == null) {
        return "";
      }
      String info = uri.substring(userInfo[0], userInfo[1]);
      int colon = info.indexOf(':');
      return colon < 0 ? "" : info.substring(colon + 1);
    }

    /**
     * Where the user info of {@code scheme://user:password@host/...} is, found without a URI
     * parser: a password with characters a parser refuses must be hidden all the same. The user
     * info ends at the last '@' of the authority.
     */
    private static int[] userInfoRange(String uri) {
      int start = uri.indexOf("://");
      if (start < 0) {
        return null;
      }
      start += 3;
      int end = uri.length();
      for (char terminator : new char[] {'/', '?', '#'}) {
        int at = uri.indexOf(terminator, start);
        if (at >= 0 && at < end) {
          end = at;
        }
      }
      int at = uri.lastIndexOf('@', end - 1);
      return at < start ? null : new int[] {start, at};
    }
  }
}
