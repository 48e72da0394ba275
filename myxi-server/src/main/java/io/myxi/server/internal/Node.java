package io.myxi.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.CloseCodes;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.broker.NodeQueue;
import io.myxi.server.ConnectionRefusal;
import io.myxi.server.NodeListener;
import io.myxi.server.NodeStats;
import io.myxi.server.SessionCloseReason;
import io.myxi.server.internal.transport.Connection;
import io.myxi.server.internal.transport.ConnectionHandler;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol engine of one node: the coordinator of its sessions and their life cycle, over the
 * parts that do the work: {@link ActionDispatcher} (client frames), {@link Subscriptions} and its
 * {@link RouteTable} (who is subscribed, when to bind), {@link Reauthorizer}, {@link EventFanOut}
 * (deliveries) and {@link NodeEvents} (counters and the listener). None of them refers back here.
 *
 * <p>Knows the socket only as a {@link Connection}; the transport reports to it as a {@link
 * ConnectionHandler}, on the WebSocket library's threads, and it only hands work over: actions,
 * authorizers, binding and close clean-up run in each session's lane on the worker pool.
 */
public final class Node implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final Myxi myxi;
  private final ServerSettings settings;
  private final String nodeId = Ids.randomHex(8);
  private final Instant startedAt = Instant.now();
  private final NodeEvents events;
  private final Map<String, SessionImpl> sessions = new ConcurrentHashMap<>();
  /** Open sessions per client address key ({@link #addressKey}); entries go when they reach zero. */
  private final Map<Object, Integer> sessionsByAddress = new ConcurrentHashMap<>();
  private final WorkerThreads threads;
  private final SessionContext sessionContext;
  private final Replies replies;
  private final Subscriptions subscriptions;
  private final Reauthorizer reauthorizer;
  private final ActionDispatcher dispatcher;
  private final EventFanOut fanOut;
  /** The exchanges with history, by name; filled at start when the broker keeps history. */
  private final Map<String, ExchangeHistory> histories = new ConcurrentHashMap<>();
  private volatile NodeQueue nodeQueue;
  private volatile boolean draining;

  public Node(Myxi myxi, ServerSettings settings, NodeListener listener) {
    this.myxi = myxi;
    this.settings = settings;
    this.events = new NodeEvents(listener);
    this.threads = new WorkerThreads(settings.workerThreads());
    this.replies = new Replies(myxi.objectMapper(), events);
    this.subscriptions = new Subscriptions(myxi, events, settings.bindTimeout(), settings.maxBindings());
    this.reauthorizer = new Reauthorizer(myxi, subscriptions, replies);
    this.dispatcher = new ActionDispatcher(myxi, replies,
        new SubscriptionActions(myxi, subscriptions, replies, settings.maxSubscriptionsPerSession(), histories), reauthorizer, events, settings.maxBufferedBytes());
    this.fanOut = new EventFanOut(myxi, subscriptions, events, settings.maxBufferedBytes(), nodeId, sessions::values, histories::containsKey);
    this.sessionContext = new SessionContext(new ReplyFrames(myxi.objectMapper()), settings.maxBufferedBytes(), events, threads.timers(), reauthorizer::reauthorizeInLane);
  }

  /** Opens the node queue and the history feeds, and starts the periodic re-authorization. */
  public void start() {
    if (myxi.broker().supportsHistory()) {
      for (ExchangeDefinition exchange : myxi.exchanges()) {
        exchange.history().ifPresent(retention -> {
          ExchangeHistory history = new ExchangeHistory(exchange, myxi.objectMapper(), subscriptions, events,
              settings.maxBufferedBytes(), settings.historyWindowBytes());
          HistoryReader reader = new HistoryReader(history, myxi.broker(), settings.maxBufferedBytes());
          history.attach(myxi.broker().openHistoryFeed(exchange.historyStream(), retention, history), reader);
          reader.start();
          histories.put(exchange.name(), history);
        });
      }
    }
    NodeQueue queue = myxi.broker().openNodeQueue(fanOut);
    nodeQueue = queue;
    subscriptions.useQueue(queue);
    long intervalMillis = settings.reauthorizeInterval().toMillis();
    if (intervalMillis > 0) {
      threads.timers().scheduleWithFixedDelay(() -> reauthorizer.reauthorizeAll(sessions.values()), intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }
  }

  /** The node's timer thread, shared with the transport (handshake sweep, lingering closes). */
  public ScheduledExecutorService timers() {
    return threads.timers();
  }

  public String nodeId() {
    return nodeId;
  }

  public boolean isDraining() {
    return draining;
  }

  // ---------------------------------------------------------------- connection life cycle

  @Override
  public void onOpen(Connection connection, InetAddress remoteAddress) {
    String id = Ids.randomHex(8);
    long now = System.nanoTime();
    RateLimiter limiter = new RateLimiter(settings.actionsPerSecond(), settings.actionBurst(), now);
    RateLimiter bindLimiter = new RateLimiter(settings.bindsPerSecond(), settings.bindBurst(), now);
    SessionImpl session = new SessionImpl(id, connection, remoteAddress, sessionContext, threads.newLane(), limiter, bindLimiter);
    connection.attach(session);
    if (draining) {
      session.markClosed();
      events.connectionRefused(ConnectionRefusal.DRAINING);
      connection.close(CloseCodes.GOING_AWAY, "server shutting down");
      return;
    }
    if (settings.maxConnections() > 0 && sessions.size() >= settings.maxConnections()) {
      session.markClosed();
      events.connectionRefused(ConnectionRefusal.TOO_MANY_CONNECTIONS);
      connection.close(CloseCodes.TOO_MANY_CONNECTIONS, "too many connections");
      return;
    }
    if (!admitAddress(remoteAddress)) {
      session.markClosed();
      events.connectionRefused(ConnectionRefusal.TOO_MANY_CONNECTIONS_FROM_ADDRESS);
      connection.close(CloseCodes.TOO_MANY_CONNECTIONS, "too many connections from this address");
      return;
    }
    sessions.put(id, session);
    events.sessionOpened(session);
    ObjectNode payload = myxi.objectMapper().createObjectNode().put("id", id);
    session.sendReply(Events.WELCOME, null, payload);
    Duration deadline = settings.authenticationTimeout();
    if (!deadline.isZero()) {
      threads.timers().schedule(() -> session.execute(() -> {
        if (session.isOpen() && !session.isAuthenticated()) {
          events.closeDecided(SessionCloseReason.AUTHENTICATION_TIMEOUT);
          session.closeFor(SessionCloseReason.AUTHENTICATION_TIMEOUT, CloseCodes.AUTHENTICATION_TIMEOUT, "authentication timeout");
        }
      }), deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void onMessage(Connection connection, String text) {
    if (connection.attachment() instanceof SessionImpl session && !session.isClosing()) {
      dispatcher.onMessage(session, text);
    }
  }

  @Override
  public void onClose(Connection connection, int code, boolean byPeer) {
    if (!(connection.attachment() instanceof SessionImpl session)) {
      return;
    }
    if (!session.markClosed()) {
      if (sessions.remove(session.id(), session)) {
        releaseAddress(session.remoteAddress());
      }
      return;
    }
    SessionCloseReason reason = session.closeReason(code);
    if (reason == SessionCloseReason.MESSAGE_TOO_BIG && code == CloseCodes.MESSAGE_TOO_BIG) {
      events.closeDecided(reason); // decided by the transport's frame limit, counted here
    }
    if (sessions.remove(session.id(), session)) {
      releaseAddress(session.remoteAddress());
    }
    events.sessionClosed(session, reason);
    session.execute(() -> {
      subscriptions.removeAll(session);
      session.runCloseCallbacks();
    });
  }

  /**
   * Counts a new session against its address's cap; false when the address is at the cap. IPv6
   * clients count per /64, the block one subscriber usually holds.
   */
  private boolean admitAddress(InetAddress address) {
    int max = settings.maxConnectionsPerAddress();
    if (max <= 0) {
      return true;
    }
    boolean[] admitted = {false};
    sessionsByAddress.compute(addressKey(address), (key, count) -> {
      int current = count == null ? 0 : count;
      if (current >= max) {
        return count;
      }
      admitted[0] = true;
      return current + 1;
    });
    return admitted[0];
  }

  private void releaseAddress(InetAddress address) {
    if (settings.maxConnectionsPerAddress() > 0) {
      sessionsByAddress.computeIfPresent(addressKey(address), (key, count) -> count <= 1 ? null : count - 1);
    }
  }

  /** The address itself for IPv4, its first 64 bits for IPv6. */
  static Object addressKey(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length == 16) {
      return java.nio.ByteBuffer.wrap(bytes, 0, 8).getLong();
    }
    return address;
  }

  @Override
  public void onRefused(ConnectionHandler.Refusal refusal) {
    events.connectionRefused(switch (refusal) {
      case ORIGIN -> ConnectionRefusal.ORIGIN_REFUSED;
      case HANDSHAKE_TIMEOUT -> ConnectionRefusal.HANDSHAKE_TIMEOUT;
      case HANDSHAKE_TOO_LARGE -> ConnectionRefusal.HANDSHAKE_TOO_LARGE;
    });
  }

  // ---------------------------------------------------------------- re-authorization

  /** Queues re-authorization of one session of this node after what is queued for it. */
  public void reauthorize(Session session) {
    SessionImpl impl = sessions.get(session.id());
    if (impl != null && impl == session) {
      impl.reauthorize();
    }
  }

  /** Runs re-authorization for every session now; returns when it has run. For tests and admin. */
  public void reauthorizeAllNow(Duration timeout) throws InterruptedException {
    reauthorizer.reauthorizeAllAndWait(sessions.values(), timeout);
  }

  // ---------------------------------------------------------------- status and shutdown

  public NodeStats snapshot() {
    int subscriptionCount = 0;
    int authenticated = 0;
    for (SessionImpl session : sessions.values()) {
      subscriptionCount += session.liveSubscriptions().size();
      if (session.isAuthenticated()) {
        authenticated++;
      }
    }
    NodeQueue queue = nodeQueue;
    Stats stats = events.stats();
    return new NodeStats(
        nodeId,
        startedAt,
        queue != null && queue.isConnected(),
        queue == null ? null : queue.name(),
        sessions.size(),
        authenticated,
        subscriptionCount,
        queue == null ? 0 : queue.bindings().size(),
        stats.deliveriesReceived.sum(),
        stats.eventsEncoded.sum(),
        stats.framesSent.sum(),
        Stats.snapshot(stats.deliveriesDropped),
        Stats.snapshot(stats.errorsSent),
        Stats.snapshot(stats.closes),
        stats.recoveries.sum());
  }

  public Optional<Session> session(String id) {
    return Optional.ofNullable(sessions.get(id));
  }

  public List<Session> sessions() {
    return List.copyOf(sessions.values());
  }

  /**
   * Stops taking connections and closes the open ones spread over the shutdown window, so their
   * clients do not all reconnect at the same moment. Returns when all are closed or the window plus
   * a grace period passed.
   */
  public void drain() throws InterruptedException {
    draining = true;
    List<SessionImpl> open = List.copyOf(sessions.values());
    long windowMillis = settings.shutdownWindow().toMillis();
    log.info("Node {} draining: closing {} sessions over {} ms", nodeId, open.size(), windowMillis);
    for (int i = 0; i < open.size(); i++) {
      SessionImpl session = open.get(i);
      long delay = open.size() <= 1 ? 0 : windowMillis * i / (open.size() - 1);
      threads.timers().schedule(() -> session.closeFor(SessionCloseReason.SERVER_SHUTDOWN, CloseCodes.GOING_AWAY, "server shutting down"), delay, TimeUnit.MILLISECONDS);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(windowMillis + 2000);
    while (!sessions.isEmpty() && System.nanoTime() < deadline) {
      synchronized (this) {
        wait(50);
      }
    }
  }

  /** History replay figures of one exchange: {stream reads, events replayed}; for tests and benchmarks. */
  public long[] historyFigures(String exchange) {
    ExchangeHistory history = histories.get(exchange);
    return history == null ? new long[3] : new long[] {history.reader().streamReads(), history.reader().replayedEvents(), history.reader().extensions()};
  }

  /** Deletes the node queue, stops the history feeds and the node's threads. */
  public void close() {
    subscriptions.close();
    histories.values().forEach(ExchangeHistory::close);
    NodeQueue queue = nodeQueue;
    if (queue != null) {
      queue.close();
    }
    threads.close();
  }
}
