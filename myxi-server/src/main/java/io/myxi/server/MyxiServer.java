package io.myxi.server;

import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.server.internal.Node;
import io.myxi.server.internal.ServerSettings;
import io.myxi.server.internal.transport.TransportSettings;
import io.myxi.server.internal.transport.WebSocketTransport;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Myxi WebSocket node: accepts browser connections, runs the {@link Myxi} instance's actions,
 * binds one broker queue for all its sessions and fans events out to them.
 *
 * <pre>{@code
 * MyxiServer server = MyxiServer.builder(myxi).port(0).build();
 * server.start();
 * int port = server.port();
 * ...
 * server.stop(); // drains: sessions closed over the shutdown window, then the queue deleted
 * }</pre>
 *
 * <p>The library reads no environment variable: the port, address and every other setting come
 * from the {@link Builder}. Applications (and the runnable service) read their own configuration.
 *
 * <p>Thread-safe. {@link #start()} and {@link #stop()} may each be called more than once.
 */
public final class MyxiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MyxiServer.class);

  /** The port used when the builder is not given one. */
  public static final int DEFAULT_PORT = 5005;
  /** The connection cap when the builder is not given one. */
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  /** The node's binding cap when the builder is not given one. */
  public static final int DEFAULT_MAX_BINDINGS = 100_000;

  private final Myxi myxi;
  private final TransportSettings settings;
  private final Node node;
  private final WebSocketTransport transport;
  private final Object lifecycle = new Object();
  private boolean started; // guarded by lifecycle
  private boolean stopped; // guarded by lifecycle
  private volatile boolean closed; // set once stop() has finished

  private MyxiServer(Myxi myxi, ServerSettings settings, TransportSettings transportSettings, NodeListener listener) {
    this.myxi = myxi;
    this.settings = transportSettings;
    this.node = new Node(myxi, settings, listener);
    this.transport = new WebSocketTransport(node, transportSettings, node.timers());
  }

  /** A builder with every setting at its default: port 5005 on every interface. */
  public static Builder builder(Myxi myxi) {
    return new Builder(myxi);
  }

  /**
   * Opens the node queue and starts listening. Returns once the port is bound (read it with
   * {@link #port()}); the broker may still be connecting, in which case {@code Subscribe} answers
   * {@code BrokerUnavailable} until it is.
   *
   * @throws IllegalStateException the port could not be bound, or the server was stopped
   */
  public MyxiServer start() {
    synchronized (lifecycle) {
      if (stopped) {
        throw new IllegalStateException("server was stopped; build a new one");
      }
      if (started) {
        return this;
      }
      node.start();
      try {
        transport.startAndWait(10_000);
      } catch (Exception e) {
        node.close();
        stopped = true;
        throw new IllegalStateException("Could not listen on " + settings.address() + ": " + e.getMessage(), e);
      }
      started = true;
      if (settings.allowedOrigins().isEmpty()) {
        log.warn("No allowed origins configured: any web page can open a WebSocket to this node (set allowedOrigins)");
      }
      log.info("Myxi node {} listening on {}:{} ({}, broker {})", node.nodeId(), settings.address().getHostString(), port(),
          settings.sslContext() == null ? "ws" : "wss", myxi.broker().describe());
      return this;
    }
  }

  /** Logs the summary of refused Origins now rather than at the next minute (tests). */
  String logRefusedOrigins() {
    return transport.logRefusedOrigins();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return transport.getPort();
  }

  public String nodeId() {
    return node.nodeId();
  }

  /** Whether it accepts connections and its queue is connected to the broker: {@link #health()} is READY. */
  public boolean isReady() {
    return health().ready();
  }

  /**
   * The node's health: its life-cycle state (not started, broker disconnected, ready, draining,
   * stopped), whether the node queue is connected and the open sessions. Cheap enough for every
   * probe; see {@link NodeHealth} for mapping it to readiness and liveness.
   */
  public NodeHealth health() {
    boolean running;
    synchronized (lifecycle) {
      if (!started && !stopped) {
        return new NodeHealth(NodeHealth.State.NOT_STARTED, false, 0);
      }
      running = started && !stopped;
    }
    if (closed) {
      return new NodeHealth(NodeHealth.State.STOPPED, false, 0);
    }
    return NodeHealth.of(running, node.isDraining(), node.snapshot());
  }

  /**
   * Waits until {@link #isReady()} (the broker connected), at most {@code timeout}. Returns whether
   * it is ready. Not needed before accepting clients: a Subscribe waits for the broker up to the
   * bind timeout by itself.
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isReady()) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return false;
      }
      Thread.sleep(Math.min(20, Math.max(1, remaining / 1_000_000)));
    }
    return true;
  }

  /** History replay figures of one exchange, {stream reads, events replayed, replays extended past dropped live events}: for tests. */
  long[] historyFigures(String exchange) {
    return node.historyFigures(exchange);
  }

  /** A snapshot of the node's state and counters. */
  public NodeStats stats() {
    return node.snapshot();
  }

  /** The open sessions. */
  public List<Session> sessions() {
    return node.sessions();
  }

  public Optional<Session> session(String id) {
    return node.session(id);
  }

  /**
   * Runs every subscription's authorizer now, as the periodic re-authorization does, and returns
   * when done (or after {@code timeout}). Call it after revoking access to take effect at once.
   */
  public void reauthorizeAll(Duration timeout) throws InterruptedException {
    node.reauthorizeAllNow(timeout);
  }

  /**
   * Same as {@link Session#reauthorize()}, for a session of this node: runs the authorizers of its
   * subscriptions again, after what is already queued for it, and revokes what they refuse (with
   * {@code Unsubscribed auto:true}). Returns at once. A session that is closed or not of this node
   * is ignored.
   */
  public void reauthorize(Session session) {
    node.reauthorize(Objects.requireNonNull(session, "session == null"));
  }

  public Myxi myxi() {
    return myxi;
  }

  /**
   * Drains and stops: refuses new connections, closes sessions spread over the shutdown window,
   * stops listening, removes the node's bindings and queue. Does not close the broker, which
   * belongs to the {@link Myxi} instance or the application. Safe to call twice.
   */
  public void stop() {
    synchronized (lifecycle) {
      if (stopped) {
        return;
      }
      stopped = true;
      if (!started) {
        node.close();
        closed = true;
        return;
      }
    }
    try {
      node.drain();
      transport.logRefusedOrigins();
      transport.stop(2000, "server shutting down");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      node.close();
      closed = true;
      log.info("Myxi node {} stopped", node.nodeId());
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Builds a {@link MyxiServer}. Every setting has a default; see docs/configuration.md. */
  public static final class Builder {
    private final Myxi myxi;
    private final ServerOptions options = new ServerOptions();

    private Builder(Myxi myxi) {
      this.myxi = Objects.requireNonNull(myxi, "myxi == null");
    }

    /** TCP port; 0 picks a free one. Default 5005. */
    public Builder port(int port) {
      options.port(port);
      return this;
    }

    /** Address to listen on. Default: every interface. */
    public Builder bindAddress(String address) {
      options.bindAddress(address);
      return this;
    }

    /**
     * Observes the node (sessions, refusals, drops, actions, bindings) for metrics and logs; see
     * {@link NodeListener} for its contract. Default: none.
     */
    public Builder listener(NodeListener listener) {
      options.listener(listener);
      return this;
    }

    /** How often every subscription is authorized again; zero disables. Default 60 s. */
    public Builder reauthorizeInterval(Duration interval) {
      options.reauthorizeInterval(interval);
      return this;
    }

    /** The former name of {@link #reauthorizeInterval}. */
    @Deprecated(since = "0.2.0", forRemoval = true)
    public Builder touchInterval(Duration interval) {
      return reauthorizeInterval(interval);
    }

    /** A client silent (no pong) for this long is disconnected. Default 60 s, at least 1 s. */
    public Builder connectionLostTimeout(Duration timeout) {
      options.connectionLostTimeout(timeout);
      return this;
    }

    /** Sessions are closed spread over this window on stop. Default 5 s. */
    public Builder shutdownWindow(Duration window) {
      options.shutdownWindow(window);
      return this;
    }

    /** Longest wait for the broker to confirm a binding before Subscribe fails. Default 10 s. */
    public Builder bindTimeout(Duration timeout) {
      options.bindTimeout(timeout);
      return this;
    }

    /** Largest incoming message; larger closes with 1009 before buffering. Default 64 KiB. */
    public Builder maxMessageBytes(int bytes) {
      options.maxMessageBytes(bytes);
      return this;
    }

    /** Outgoing bytes a session may have waiting; past it, close 4001. Default 1 MiB. */
    public Builder maxBufferedBytes(long bytes) {
      options.maxBufferedBytes(bytes);
      return this;
    }

    /**
     * Memory each exchange with history may use on this node for its most recent events, so most
     * recoveries (a client back after a blip, the clients of a node that went away) need no broker
     * read. Default 64 MiB; older positions are read from the stream. See docs/delivery.md.
     */
    public Builder historyWindowBytes(long bytes) {
      options.historyWindowBytes(bytes);
      return this;
    }

    /** Subscriptions one session may hold. Default 1000. */
    public Builder maxSubscriptionsPerSession(int count) {
      options.maxSubscriptionsPerSession(count);
      return this;
    }

    /**
     * Open connections the node accepts; more are closed with 4004. Default {@value
     * #DEFAULT_MAX_CONNECTIONS}; 0 removes the cap.
     */
    public Builder maxConnections(int count) {
      options.maxConnections(count);
      return this;
    }

    /**
     * Open connections one client address may hold (an IPv6 client counts per /64); more are
     * closed with 4004. The address is the socket's peer, or behind {@link #trustedProxies} the
     * forwarded client address: without trusted proxies configured, every client of a reverse
     * proxy shares the proxy's address and this cap. Default 0: no cap (clients behind one NAT
     * share an address too); see docs/deployment.md for a production value.
     */
    public Builder maxConnectionsPerAddress(int count) {
      options.maxConnectionsPerAddress(count);
      return this;
    }

    /**
     * Bindings the node's queue may hold: distinct (exchange, routing key) pairs its sessions are
     * subscribed to. A Subscribe that needs one more is answered {@code TooManyBindings}; keys
     * already bound on the node are not affected. Default {@value #DEFAULT_MAX_BINDINGS}.
     */
    public Builder maxBindings(int count) {
      options.maxBindings(count);
      return this;
    }

    /**
     * Per-session action rate limit (token bucket): {@code perSecond} sustained, {@code burst} at
     * once. Over it, actions get {@code Error RateLimited}; a client that keeps going is closed
     * with 4002. Each routing key of a {@code Subscribe} or {@code Unsubscribe} costs one token (a
     * batch of more keys than {@code burst} is always refused), and the re-check of the
     * subscriptions after a login change costs one per subscription. Default 50/s, burst 200. A
     * rate of 0 disables the limit.
     */
    public Builder actionRateLimit(double perSecond, int burst) {
      options.actionRateLimit(perSecond, burst);
      return this;
    }

    /**
     * Per-session limit of the binds a session causes (token bucket): subscriptions to keys no
     * other session of the node holds, each a change on the broker. Keys over it are answered
     * {@code RateLimited}. Default 50/s, burst 200 (the action rate limit's; it matters when that
     * one is raised). A rate of 0 disables the limit.
     */
    public Builder bindRateLimit(double perSecond, int burst) {
      options.bindRateLimit(perSecond, burst);
      return this;
    }

    /** Sessions still unauthenticated after this are closed with 4003. Default zero: off. */
    public Builder authenticationTimeout(Duration timeout) {
      options.authenticationTimeout(timeout);
      return this;
    }

    /**
     * A connection whose WebSocket handshake is not complete after this is closed, so silent or
     * slow sockets cannot pile up before they even become sessions. Default 10 s.
     */
    public Builder handshakeTimeout(Duration timeout) {
      options.handshakeTimeout(timeout);
      return this;
    }

    /**
     * Largest opening handshake (HTTP request line and headers, cookies included); a larger one is
     * answered 431 and closed. Default 32 KiB.
     */
    public Builder maxHandshakeBytes(int bytes) {
      options.maxHandshakeBytes(bytes);
      return this;
    }

    /**
     * Connections the kernel may hold waiting to be accepted. The JDK's default of 50 makes a
     * reconnect storm (a node restart, thousands of tabs) drop handshakes. Default 4096 (the
     * kernel may cap it at net.core.somaxconn).
     */
    public Builder acceptBacklog(int connections) {
      options.acceptBacklog(connections);
      return this;
    }

    /**
     * Origins (such as {@code https://app.example.com}) allowed to open WebSockets, matched
     * exactly. Others are refused at the handshake. Default: none configured, every origin allowed
     * (with a warning at start).
     */
    public Builder allowedOrigins(String... origins) {
      options.allowedOrigins(origins);
      return this;
    }

    /** Whether handshakes without an Origin header (non-browser clients) are accepted. Default true. */
    public Builder allowMissingOrigin(boolean allow) {
      options.allowMissingOrigin(allow);
      return this;
    }

    /** Proxies whose X-Forwarded-For header is believed (IP literals). Default: none. */
    public Builder trustedProxies(String... addresses) {
      options.trustedProxies(addresses);
      return this;
    }

    /** Threads that run actions and authorizers (which may block). Default 16. */
    public Builder workerThreads(int threads) {
      options.workerThreads(threads);
      return this;
    }

    /** Serve {@code wss://} with this TLS context. Default: plain {@code ws://}. */
    public Builder sslContext(SSLContext context) {
      options.sslContext(context);
      return this;
    }

    public MyxiServer build() {
      ServerSettings settings = options.serverSettings();
      TransportSettings transportSettings = options.transportSettings();
      return new MyxiServer(myxi, settings, transportSettings, options.listener());
    }
  }
}
