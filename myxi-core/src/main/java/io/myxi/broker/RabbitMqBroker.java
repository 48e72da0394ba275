package io.myxi.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.broker.internal.AmqpConnector;
import io.myxi.broker.internal.AmqpUris;
import io.myxi.broker.internal.Backoff;
import io.myxi.broker.internal.BrokerAddresses;
import io.myxi.broker.internal.BucketedNodeQueue;
import io.myxi.broker.internal.ConnectionFactories;
import io.myxi.broker.internal.ConnectionSupervisor;
import io.myxi.broker.internal.LoggingExceptionHandler;
import io.myxi.broker.internal.Publisher;
import io.myxi.broker.internal.RabbitMqSettings;
import io.myxi.broker.internal.RabbitNodeQueue;
import io.myxi.broker.internal.SingleThreadScheduler;
import io.myxi.broker.internal.StreamConsumer;
import io.myxi.broker.internal.StreamCursor;
import io.myxi.Retention;
import java.util.concurrent.atomic.LongAdder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The production broker: RabbitMQ through the official Java client.
 *
 * <p>Two AMQP connections per instance: one for the node queues (named as configured) and one for
 * publishing (the name plus {@code -publisher}), opened on the first publish. They are separate
 * because RabbitMQ stops reading from a connection that publishes during a resource alarm; the
 * node keeps delivering, acknowledging and binding while publishers are blocked. The client's own
 * automatic recovery is off: the node queues' connection is reconnected with capped exponential
 * backoff and jitter, each node queue is declared again (server-named, so it may get a new name)
 * with every binding, and only then reported recovered. A broker that is absent at start is waited
 * for in the same way.
 *
 * <p>A RabbitMQ cluster: give every node's URI ({@link Builder#uris}). Each new connection goes to
 * the first node that accepts, in a shuffled order by default; after a loss (a node stopped, a
 * connection force-closed, a network cut) the node queues' connection and the publishing
 * connection each reconnect to a surviving node, and the node queues are declared again there
 * with every binding: they are exclusive, so they live and die with their connection.
 *
 * <p>Thread-safe. This class only assembles its parts (package {@code io.myxi.broker.internal},
 * not API): the connection supervisor, the publisher and the node queues, each documenting its
 * own threads and locks.
 */
public final class RabbitMqBroker implements Broker {
  private final RabbitMqSettings settings;
  private final ConnectionSupervisor<Connection> supervisor;
  private final Publisher publisher;
  /** Bytes of event bodies read by history cursors (replays), for figures and tests. */
  private final LongAdder historyReadBytes = new LongAdder();

  private RabbitMqBroker(ConnectionFactory factory, RabbitMqSettings settings) {
    this.settings = settings;
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    factory.setExceptionHandler(new LoggingExceptionHandler());
    this.supervisor = new ConnectionSupervisor<>(
        new AmqpConnector(factory, settings.addresses(), settings.connectionName()),
        new SingleThreadScheduler("myxi-amqp-recovery"),
        Backoff.withEqualJitter(settings.initialRecoveryDelay(), settings.maxRecoveryDelay(),
            bound -> ThreadLocalRandom.current().nextLong(bound)),
        settings.description());
    this.publisher = new Publisher(factory, settings);
  }

  /**
   * An AMQP URI with its password hidden, for logs and printed configuration: everything between
   * {@code ://} and the last {@code @} is masked but a plain user name, whether the URI parses or not.
   */
  public static String redactUri(String uri) {
    return AmqpUris.redact(uri);
  }

  /**
   * Null when {@link Builder#uri} would take the URI's host and credentials as written; else why
   * not, without quoting the URI (a user name or password with '@', '/', '#' or '?' that is not
   * percent-encoded breaks the host).
   */
  public static String uriProblem(String uri) {
    return AmqpUris.authorityProblem(uri);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts connecting the node queues' connection in the background. Called by the first node
   * queue; call it early to connect at start-up. Returns at once; safe to call many times.
   */
  public void start() {
    supervisor.start();
  }

  /** Waits until connected, at most {@code timeout}. Returns whether it is connected. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return supervisor.awaitConnected(timeout);
  }

  /** How many times the connection was re-established after a loss. */
  public long reconnects() {
    return supervisor.reconnects();
  }

  /**
   * The broker node ({@code host:port}) the node queues' connection is on, while connected: with a
   * cluster, the node whose loss the node queues feel.
   */
  public Optional<String> nodeQueueAddress() {
    return Optional.ofNullable(supervisor.currentAddress());
  }

  /** The broker node ({@code host:port}) the publishing connection is on, while it is open. */
  public Optional<String> publisherAddress() {
    return Optional.ofNullable(publisher.currentAddress());
  }

  @Override
  public boolean isConnected() {
    return supervisor.isConnected() || publisher.isConnected();
  }

  @Override
  public String describe() {
    return settings.description();
  }

  @Override
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(body, "body");
    if (supervisor.isClosed()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    publisher.publish(exchange, routingKey, body, timeout);
  }

  @Override
  public CompletableFuture<Void> publishAsync(String exchange, String routingKey, byte[] body, Duration timeout) {
    return publishBatch(List.of(new Message(exchange, routingKey, body)), timeout);
  }

  /** One task on the publishing thread writes them all; the broker confirms them together. */
  @Override
  public CompletableFuture<Void> publishBatch(List<Message> messages, Duration timeout) {
    Objects.requireNonNull(messages, "messages");
    Objects.requireNonNull(timeout, "timeout");
    if (supervisor.isClosed()) {
      return CompletableFuture.failedFuture(new BrokerException("RabbitMQ broker is closed"));
    }
    if (messages.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return publisher.publishBatch(messages, timeout);
  }

  @Override
  public NodeQueue openNodeQueue(NodeQueue.Listener listener) {
    Objects.requireNonNull(listener, "listener");
    if (settings.routingBuckets() > 0) {
      return BucketedNodeQueue.open(listener, settings.routingBuckets(), BucketedNodeQueue.KEEP_EMPTY, this::openRabbitNodeQueue);
    }
    return openRabbitNodeQueue(listener);
  }

  private NodeQueue openRabbitNodeQueue(NodeQueue.Listener listener) {
    RabbitNodeQueue queue = new RabbitNodeQueue(listener, supervisor, settings);
    supervisor.register(queue);
    return queue;
  }

  /** History is kept in RabbitMQ streams (RabbitMQ 3.9 or later). */
  @Override
  public boolean supportsHistory() {
    return true;
  }

  @Override
  public void publishToHistory(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(body, "body");
    if (supervisor.isClosed()) {
      throw new BrokerException("RabbitMQ broker is closed");
    }
    publisher.publishToHistory(stream, retention, routingKey, body, timeout);
  }

  @Override
  public CompletableFuture<Void> publishToHistoryAsync(String stream, Retention retention, String routingKey, byte[] body, Duration timeout) {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(body, "body");
    if (supervisor.isClosed()) {
      return CompletableFuture.failedFuture(new BrokerException("RabbitMQ broker is closed"));
    }
    return publisher.publishToHistoryAsync(stream, retention, routingKey, body, timeout);
  }

  /** Reads the stream on the node queues' connection, and resumes with it after a fault. */
  @Override
  public HistoryFeed openHistoryFeed(String stream, Retention retention, HistoryFeed.Listener listener) {
    StreamConsumer feed = new StreamConsumer(stream, retention, listener, supervisor, settings.prefetch());
    supervisor.register(feed);
    return feed;
  }

  @Override
  public HistoryCursor openHistoryCursor(String stream, long fromOffset) {
    Connection current = supervisor.current();
    if (current == null || !current.isOpen()) {
      throw new BrokerException("not connected to RabbitMQ at " + settings.description() + " (" + supervisor.lastFailure() + ")");
    }
    return new StreamCursor(current, stream, fromOffset, settings.prefetch(), historyReadBytes);
  }

  /** Bytes of event bodies that history replays read from the broker so far. */
  public long historyReadBytes() {
    return historyReadBytes.sum();
  }

  /** Closes the node queues (deleting them), then both connections. Safe to call twice. */
  @Override
  public void close() {
    supervisor.close();
    publisher.close();
  }

  /** The consuming channel of a history feed, so tests can make the broker close it. */
  static Channel consumerChannelOf(HistoryFeed feed) {
    return ((StreamConsumer) feed).consumerChannel();
  }

  /** The consuming channel of a node queue, so tests can make the broker close it. */
  static Channel consumerChannelOf(NodeQueue queue) {
    return ((RabbitNodeQueue) BucketedNodeQueue.unwrap(queue)).consumerChannel();
  }

  /** Builds {@link RabbitMqBroker}s. */
  public static final class Builder {
    private ConnectionFactory uriFactory;
    private BrokerAddresses uriAddresses;
    private ConnectionFactory factory;
    private boolean shuffleAddresses = true;
    private Duration initialRecoveryDelay = Duration.ofMillis(500);
    private Duration maxRecoveryDelay = Duration.ofSeconds(30);
    private boolean exchangeDurable;
    private boolean exchangeAutoDelete;
    private int prefetch = 1000;
    private String connectionName = "myxi";
    private Duration connectionTimeout = Duration.ofSeconds(10);
    private Duration heartbeat = Duration.ofSeconds(10);
    private Duration rpcTimeout = Duration.ofSeconds(10);
    private Duration packDelay;
    private int routingBuckets;

    private Builder() {}

    /** One AMQP URI such as {@code amqp://guest:guest@127.0.0.1:5672/%2F} or {@code amqps://...}: {@link #uris} with one. */
    public Builder uri(String uri) {
      return uris(List.of(Objects.requireNonNull(uri, "uri == null")));
    }

    /** The nodes of a RabbitMQ cluster, one AMQP URI each: see {@link #uris(List)}. */
    public Builder uris(String... uris) {
      return uris(List.of(uris));
    }

    /**
     * The nodes of a RabbitMQ cluster, one AMQP URI each ({@code amqp://app:secret@rabbit-1:5672/prod},
     * {@code amqp://app:secret@rabbit-2:5672/prod}...). They must differ only in host and port:
     * scheme, user, password and virtual host are checked to agree, and the connection settings
     * come from the first. Each connection goes to the first node that accepts, trying them in a
     * new random order each time unless {@link #shuffleAddresses(boolean) shuffleAddresses(false)}.
     * With {@link #connectionFactory}, the URIs give only the addresses.
     *
     * @throws IllegalArgumentException when a URI does not parse, appears twice or disagrees with
     *     the first (the message names it, password hidden)
     */
    public Builder uris(List<String> uris) {
      BrokerAddresses.Parsed parsed = BrokerAddresses.parse(uris);
      this.uriFactory = parsed.factory();
      this.uriAddresses = parsed.addresses();
      return this;
    }

    /**
     * A fully configured factory (TLS, credentials...); its recovery settings are overridden. Its
     * host and port are the one address, unless {@link #uris} gives the nodes of a cluster (they
     * must then name the factory's user and virtual host).
     */
    public Builder connectionFactory(ConnectionFactory factory) {
      this.factory = Objects.requireNonNull(factory, "factory == null");
      return this;
    }

    /**
     * Whether each connection tries the broker's addresses in a new random order (default true:
     * the connections of many Myxi nodes spread over the cluster) or in the order given (the
     * first node that accepts wins, the others are fallbacks).
     */
    public Builder shuffleAddresses(boolean shuffle) {
      this.shuffleAddresses = shuffle;
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

    /**
     * Packs the live events of exchanges without history that are published within {@code
     * maxDelay} of each other (and whatever waits while a publish is being written) into one AMQP
     * message, confirmed once: RabbitMQ routes, stores and delivers one message instead of one per
     * event, and nodes acknowledge one. {@link Duration#ZERO} adds no delay: only events that queue
     * up meanwhile are packed. Default: off, one message per event in the gem's format.
     *
     * <p><b>Every node that consumes these exchanges must be Myxi for Java 0.2 or later</b>: the
     * Ruby gem's nodes and Myxi 0.1 drop a packed message as an invalid body. Publishers of any
     * kind may still publish single events the gem's way; nodes take both. Events of history
     * exchanges are never packed (each keeps its own stream offset).
     */
    public Builder packedPublishing(Duration maxDelay) {
      Objects.requireNonNull(maxDelay, "maxDelay == null");
      if (maxDelay.isNegative() || maxDelay.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("packedPublishing delay must be in 0..1 s: " + maxDelay);
      }
      this.packDelay = maxDelay;
      return this;
    }

    /**
     * Routes live events of exchanges without history by {@code buckets} hash buckets of their
     * routing keys instead of by the keys themselves: a node binds at most {@code buckets} keys per
     * exchange, whatever the number of keys its sessions subscribe to, so subscribing to a key
     * whose bucket is bound already costs RabbitMQ nothing, and connect storms and subscription
     * churn of distinct keys no longer cost a binding each. Each node then receives every event of
     * the buckets it holds and drops those of keys nobody on it subscribed to (with many keys per
     * node, nearly every event of the exchange). Implies {@link #packedPublishing} (with no delay
     * unless set).
     *
     * <p><b>Every publisher and every node of these exchanges must be Myxi for Java 0.2 or later,
     * with the same {@code buckets}</b>: an event published the gem's way (routing key = the key)
     * reaches no node bound by buckets. Default 0: one binding per key, the gem's topology.
     *
     * @param buckets 0 (off) or 1..65536
     */
    public Builder routingBuckets(int buckets) {
      if (buckets < 0 || buckets > 65536) {
        throw new IllegalArgumentException("routingBuckets must be 0 (off) or in 1..65536: " + buckets);
      }
      this.routingBuckets = buckets;
      return this;
    }

    public RabbitMqBroker build() {
      if (factory == null && uriFactory == null) {
        throw new IllegalStateException("uri, uris or connectionFactory is required");
      }
      BrokerAddresses addresses = uriAddresses != null ? uriAddresses : BrokerAddresses.of(this.factory);
      ConnectionFactory factory = ConnectionFactories.prepare(this.factory, uriFactory, addresses, connectionTimeout, heartbeat, rpcTimeout);
      RabbitMqSettings settings = new RabbitMqSettings(addresses.withShuffle(shuffleAddresses), connectionName, initialRecoveryDelay,
          maxRecoveryDelay, exchangeDurable, exchangeAutoDelete, prefetch,
          packDelay == null && routingBuckets > 0 ? Duration.ZERO : packDelay, routingBuckets);
      return new RabbitMqBroker(factory, settings);
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
      return AmqpUris.redact(uri);
    }
  }
}
