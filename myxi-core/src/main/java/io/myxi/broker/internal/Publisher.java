package io.myxi.broker.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.myxi.Retention;
import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes events with publisher confirms on a connection of its own (the configured name plus
 * {@code -publisher}), opened on the first publish. Publishing has its own connection because
 * RabbitMQ stops reading from a connection that publishes during a resource alarm: sharing one
 * would stall the node's deliveries, acknowledgements and bindings too.
 *
 * <p>Threads: AMQP calls such as opening a channel wait up to the client's RPC timeout whatever
 * the caller's bound, and a blocked connection does not answer them. So every AMQP call runs on
 * the one publishing thread, and callers wait for it at most their timeout. The fields marked
 * "publishing thread only" are confined to it; {@link #blocking} is written by the client's
 * connection thread and read anywhere. The connection is {@link PublishingConnection}'s, the
 * confirms {@link ConfirmChannel}'s, the deadlines {@link PublishDeadlines}'.
 *
 * <p>The declared-exchange cache belongs to the confirm channel: when the broker closes the channel
 * with 404 (the exchange was deleted) or the connection is replaced (a restarted broker may have
 * lost it), the next channel declares every exchange again, and a publish refused with 404 is
 * tried once more, since the event reached nobody.
 */
public final class Publisher {
  private static final Logger log = LoggerFactory.getLogger(Publisher.class);
  private static final AMQP.BasicProperties JSON_PROPERTIES = new AMQP.BasicProperties.Builder()
      .contentType("application/json")
      .contentEncoding("utf-8")
      .deliveryMode(1)
      .build();

  private final ScheduledExecutorService publishThread;
  /** Closes discarded channels, which waits for the broker, off the publishing thread. */
  private final ExecutorService closer;
  private final AtomicBoolean closed = new AtomicBoolean();

  private final PublishBlocking blocking = new PublishBlocking();
  private final PublishingConnection connection;
  private final DeclaredExchanges declaredExchanges; // publishing thread only
  /** History streams declared on {@link #declaredStreamsOn}; a new connection starts empty (a restarted broker may have lost them). */
  private final java.util.Set<String> declaredStreams = new java.util.HashSet<>(); // publishing thread only
  private Connection declaredStreamsOn; // publishing thread only
  private ConfirmChannel channel; // publishing thread only
  /** Where callers' stages run: not the client's connection thread, which also reads confirms. */
  private final ExecutorService callbacks;
  private final PublishDeadlines deadlines = new PublishDeadlines();
  /** Batches waiting for the publishing thread, and whether a drain of them is on its way. */
  private final Queue<List<PendingPublish>> toPublish = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  /** A drain after the pack delay is on its way (packed publishing with a delay only). */
  private final AtomicBoolean delayedDrainScheduled = new AtomicBoolean();
  /** Null unless live events are packed ({@link RabbitMqSettings#packed}). Publishing thread only. */
  private final PublishPacker packer;
  private final long packDelayNanos;

  public Publisher(ConnectionFactory factory, RabbitMqSettings settings) {
    this.connection = new PublishingConnection(factory, settings, blocking);
    this.declaredExchanges = new DeclaredExchanges(settings.exchangeDurable(), settings.exchangeAutoDelete());
    this.publishThread = Executors.newSingleThreadScheduledExecutor(AmqpSupport.daemonThreads("myxi-amqp-publish"));
    this.packer = settings.packed() ? new PublishPacker(settings.routingBuckets(), blocking, deadlines) : null;
    this.packDelayNanos = settings.packed() ? settings.packDelay().toNanos() : 0;
    // Idle threads end after a minute, so closing channels in the background creates no lasting threads.
    this.callbacks = new ThreadPoolExecutor(0, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), AmqpSupport.daemonThreads("myxi-amqp-confirms"));
    this.closer = new ThreadPoolExecutor(0, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), AmqpSupport.daemonThreads("myxi-amqp-closer"));
  }

  /** See {@link io.myxi.broker.Broker#publish}: {@link #publishAsync} and a bounded wait for its result. */
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    awaitConfirm(publishAsync(exchange, routingKey, body, timeout), timeout);
  }

  /**
   * See {@link io.myxi.broker.Broker#publishToHistory}: to the default exchange, routed to the
   * stream by its name (declared once per connection), mandatory, and confirmed like any publish.
   */
  public void publishToHistory(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    awaitConfirm(publishToHistoryAsync(stream, retention, routingKey, body, timeout), timeout);
  }

  /** Waits for a publish's future, which itself ends by its deadline, and rethrows its failure. */
  private void awaitConfirm(CompletableFuture<Void> done, Duration timeout) {
    try {
      // The extra second only guards against a bug in the deadline.
      done.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new BrokerException(blocking.noConfirmMessage(timeout));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BrokerException brokerException) {
        throw brokerException;
      }
      throw new BrokerException("publish failed: " + AmqpSupport.rootMessage(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerException("interrupted while publishing", e);
    }
  }

  /** See {@link io.myxi.broker.Broker#publishToHistoryAsync}. */
  public CompletableFuture<Void> publishToHistoryAsync(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    return publishPending(List.of(new Broker.Message(stream, routingKey, body)), timeout, retention);
  }

  /** See {@link io.myxi.broker.Broker#publishAsync}. */
  public CompletableFuture<Void> publishAsync(String exchange, String routingKey, byte[] body, Duration timeout) {
    return publishBatch(List.of(new Broker.Message(exchange, routingKey, body)), timeout);
  }

  /**
   * See {@link io.myxi.broker.Broker#publishBatch}: one task on the publishing thread writes every
   * message, and the broker confirms them together (acks with {@code multiple}).
   */
  public CompletableFuture<Void> publishBatch(List<Broker.Message> messages, Duration timeout) {
    return publishPending(messages, timeout, null);
  }

  /** Messages to exchanges, or with a retention to the history stream named by their exchange. */
  private CompletableFuture<Void> publishPending(List<Broker.Message> messages, Duration timeout, Retention history) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new BrokerException("RabbitMQ broker is closed"));
    }
    if (blocking.isBlocked()) {
      return CompletableFuture.failedFuture(new BrokerException(blocking.blockedMessage()));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<PendingPublish> batch = new ArrayList<>(messages.size());
    for (Broker.Message message : messages) {
      batch.add(new PendingPublish(message, deadline, timeout, history, blocking));
    }
    CompletableFuture<Void> all = batch.size() == 1
        ? batch.get(0).outcome
        : CompletableFuture.allOf(batch.stream().map(pending -> pending.outcome).toArray(CompletableFuture[]::new));
    if (!deadlines.watch(batch, all, deadline)) {
      return CompletableFuture.failedFuture(new BrokerException("RabbitMQ broker is closed"));
    }
    toPublish.add(batch);
    if (packDelayNanos > 0 && history == null) {
      drainAfterPackDelay();
    } else {
      drainSoon();
    }
    // Callers' stages run on the callback thread, never on the client's connection thread.
    return all.whenCompleteAsync((ignored, error) -> {}, callbacks);
  }

  public boolean isConnected() {
    return connection.isOpen();
  }

  /** The broker node of the publishing connection ({@code host:port}), or null while it is not open. */
  public String currentAddress() {
    return connection.currentAddress();
  }

  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    publishThread.shutdownNow();
    deadlines.shutdown(); // Deadlines already set still fire: nothing waits past its timeout.
    closer.shutdown(); // The callback thread ends by itself when idle; futures still open end at their deadline.
    connection.close();
  }

  /** Messages a closed channel or a return hands back, to be published once more. */
  private void publishAgain(List<PendingPublish> again) {
    toPublish.add(again);
    drainSoon();
  }

  /**
   * Makes sure the publishing thread drains {@link #toPublish}: one task for however many batches
   * arrive meanwhile, instead of a hand-over per event.
   */
  private void drainSoon() {
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        publishThread.execute(this::drain);
      } catch (RejectedExecutionException e) {
        for (List<PendingPublish> batch; (batch = toPublish.poll()) != null; ) {
          batch.forEach(pending -> pending.fail(new BrokerException("RabbitMQ broker is closed")));
        }
      }
    }
  }

  /**
   * Packed publishing with a delay: live events wait up to the delay for others to share their
   * message. One timer for however many arrive meanwhile; anything else drains at once (and takes
   * the waiting events along).
   */
  private void drainAfterPackDelay() {
    if (delayedDrainScheduled.compareAndSet(false, true)) {
      try {
        publishThread.schedule(() -> {
          delayedDrainScheduled.set(false); // Cleared first, as in drain().
          drain();
        }, packDelayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        drainSoon(); // Fails what waits.
      }
    }
  }

  // Publishing thread only.
  private void drain() {
    // Cleared first: a batch added after the polls below schedules another drain.
    drainScheduled.set(false);
    if (packer != null) {
      List<PendingPublish> drained = new ArrayList<>();
      for (List<PendingPublish> batch; (batch = toPublish.poll()) != null; ) {
        drained.addAll(batch);
      }
      publishNow(packer.pack(drained));
      return;
    }
    for (List<PendingPublish> batch; (batch = toPublish.poll()) != null; ) {
      publishNow(batch);
    }
  }

  // Publishing thread only.
  private void publishNow(List<PendingPublish> batch) {
    for (PendingPublish pending : batch) {
      publishNow(pending);
    }
  }

  // Publishing thread only.
  private void publishNow(PendingPublish pending) {
    Broker.Message message = pending.message;
    while (!pending.result.isDone()) {
      if (remainingNanos(pending.deadline) <= 0) {
        pending.fail(new BrokerException("no confirm within " + pending.timeout.toMillis() + " ms (publishers queued)"));
        return;
      }
      if (blocking.isBlocked()) {
        pending.fail(new BrokerException(blocking.blockedMessage()));
        return;
      }
      ConfirmChannel current;
      try {
        current = confirmChannel();
      } catch (BrokerException e) {
        pending.fail(e);
        return;
      }
      long seqNo = current.channel.getNextPublishSeqNo();
      try {
        AMQP.BasicProperties properties = pending.properties != null ? pending.properties : JSON_PROPERTIES;
        if (pending.history != null) {
          declareStream(current.channel, message.exchange(), pending.history, pending.retried);
          properties = HistoryStreams.properties(message.routingKey());
          pending.messageId = properties.getMessageId();
        } else {
          declaredExchanges.declare(current.channel, message.exchange());
        }
        seqNo = current.channel.getNextPublishSeqNo();
        pending.seqNo = seqNo;
        pending.channel = current;
        current.unconfirmed.put(seqNo, pending);
        if (pending.history != null) {
          current.channel.basicPublish("", message.exchange(), true, properties, message.body());
        } else {
          current.channel.basicPublish(message.exchange(), message.routingKey(), false, properties, message.body());
        }
        return; // The confirm listener or the deadline completes it.
      } catch (IOException | ShutdownSignalException e) {
        discardChannel();
        if (pending.channel == current && !current.unconfirmed.remove(seqNo, pending)) {
          return; // The channel's close listener took it over (and failed or retried it).
        }
        pending.channel = null;
        if (!pending.retried && AmqpSupport.isNotFound(e)) {
          // The exchange was deleted behind our back: nobody received the event, so declaring the
          // exchange again on a new channel and publishing once more duplicates nothing.
          pending.retried = true;
          log.info("Exchange {} is gone on RabbitMQ ({}); declaring it again", message.exchange(), AmqpSupport.rootMessage(e));
          continue;
        }
        pending.fail(new BrokerException("publish failed: " + AmqpSupport.rootMessage(e), e));
        return;
      }
    }
  }

  // Publishing thread only.
  private void declareStream(Channel channel, String stream, Retention retention, boolean again) throws IOException {
    if (declaredStreamsOn != channel.getConnection()) {
      declaredStreams.clear(); // A restarted broker may have lost them.
      declaredStreamsOn = channel.getConnection();
    }
    if (again || !declaredStreams.contains(stream)) {
      HistoryStreams.declare(channel.getConnection(), stream, retention);
      declaredStreams.add(stream);
    }
  }

  // Publishing thread only.
  private ConfirmChannel confirmChannel() {
    Connection current = connection.get();
    ConfirmChannel existing = channel;
    if (existing != null && existing.channel.isOpen() && existing.channel.getConnection() == current) {
      return existing;
    }
    try {
      Channel fresh = current.createChannel();
      fresh.confirmSelect();
      channel = new ConfirmChannel(fresh, this::publishAgain);
      declaredExchanges.clear(); // A new channel may be on a new connection to a restarted broker.
      return channel;
    } catch (IOException | ShutdownSignalException e) {
      throw new BrokerException("publish failed: " + AmqpSupport.rootMessage(e), e);
    }
  }

  /**
   * A channel with confirms still outstanding would answer for them on the next publish: drop it,
   * and the exchanges declared on it. Closing waits for the broker, so it happens off the
   * publishing thread. Publishing thread only.
   */
  private void discardChannel() {
    Channel discarded = channel == null ? null : channel.channel;
    channel = null;
    declaredExchanges.clear();
    if (discarded != null && discarded.isOpen()) {
      try {
        closer.execute(() -> AmqpSupport.abortQuietly(discarded));
      } catch (RejectedExecutionException closing) {
        // Closing: the connection goes with it.
      }
    }
  }

  private static long remainingNanos(long deadline) {
    return deadline - System.nanoTime();
  }
}
