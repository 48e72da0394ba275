package io.myxi.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.CloseCodes;
import io.myxi.Session;
import io.myxi.Subscription;
import io.myxi.server.DropReason;
import io.myxi.server.SessionCloseReason;
import io.myxi.server.internal.transport.Connection;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One connection and its Myxi state: auth, attributes, subscriptions, its lane and its output. */
final class SessionImpl implements Session {
  private static final Logger log = LoggerFactory.getLogger(SessionImpl.class);
  /** After a polite close, how long a client that does not read keeps its TCP connection. */
  private static final long ABORT_AFTER_CLOSE_MILLIS = 2000;
  /** RFC 6455's code for a connection that ended without a close frame (lost, reset). */
  private static final int ABNORMAL_CLOSURE = 1006;

  private final String id;
  private final Connection connection;
  private final InetAddress remoteAddress;
  private final SessionContext context;
  private final LongAdder framesSent;
  private final SerialExecutor lane;
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final List<Runnable> closeCallbacks = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final Object sendLock = new Object();
  private final AtomicLong pendingInboundChars = new AtomicLong();
  private final RateLimiter rateLimiter;
  private final RateLimiter bindLimiter;
  /** Set by {@link #setAuth}: the subscriptions must be checked against the new login. */
  private final AtomicBoolean authChanged = new AtomicBoolean();
  private boolean slowDropReported; // guarded by sendLock
  /** Offsets queued and hand-offs of the subscriptions of history exchanges. Guarded by sendLock. */
  private final HistoryHandOffs history = new HistoryHandOffs((utf8, subscription, brokerExchange) -> queueEvent(utf8, subscription, brokerExchange, false));
  private volatile Object auth;
  /** Why the node or the application closed it; null while open or when the peer closed. */
  private volatile SessionCloseReason closeReason;

  SessionImpl(String id, Connection connection, InetAddress remoteAddress, SessionContext context, SerialExecutor lane, RateLimiter rateLimiter, RateLimiter bindLimiter) {
    this.id = id;
    this.connection = connection;
    this.remoteAddress = remoteAddress;
    this.context = context;
    this.framesSent = context.events().stats().framesSent;
    this.lane = lane;
    this.rateLimiter = rateLimiter;
    this.bindLimiter = bindLimiter;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public InetAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public Optional<Object> auth() {
    return Optional.ofNullable(auth);
  }

  @Override
  public void setAuth(Object user) {
    this.auth = user;
    authChanged.set(true);
    // From an action, the dispatcher re-checks right after it (takeAuthChange); from anywhere
    // else this queued check does, in the session's order.
    if (!closed.get()) {
      execute(() -> {
        if (takeAuthChange()) {
          context.reauthorization().accept(this);
        }
      });
    }
  }

  /** Whether the login changed since the last call: the subscriptions need a re-check. */
  boolean takeAuthChange() {
    return authChanged.getAndSet(false);
  }

  @Override
  public Object attribute(String name) {
    return attributes.get(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    if (value == null) {
      attributes.remove(name);
    } else {
      attributes.put(name, value);
    }
  }

  @Override
  public void send(String event, Object payload) {
    sendEncoded(context.replyFrames().frame(event, null, payload), Send.QUEUE);
  }

  @Override
  public void execute(Runnable task) {
    lane.execute(task);
  }

  @Override
  public void reauthorize() {
    if (!closed.get()) {
      execute(() -> context.reauthorization().accept(this));
    }
  }

  /** A reply ({@code tag} left out when null), written ahead of other connections' events. */
  void sendReply(String event, JsonNode tag, Object payload) {
    sendEncoded(context.replyFrames().frame(event, tag, payload), Send.REPLY);
  }

  /**
   * Queues an event of {@code subscription} unless the session no longer holds it. Checked under
   * the same lock as {@link #removeSubscription}: once a subscription is removed (and its
   * {@code Unsubscribed} sent afterwards), not one more event of it is queued.
   *
   * <p>With {@code writeNow} the calling thread writes the frame itself when the socket is free and
   * takes it at once ({@link Connection#sendTextNow}): for a sender that reaches few sessions with
   * this event. That write never blocks, so it may happen under {@code sendLock}.
   */
  void sendEvent(byte[] utf8, Subscription subscription, String brokerExchange, boolean writeNow) {
    synchronized (sendLock) {
      if (subscriptions.contains(subscription)) {
        queueEvent(utf8, subscription, brokerExchange, writeNow);
      }
    }
  }

  // Under sendLock. The first event a slow consumer loses is reported once.
  private void queueEvent(byte[] utf8, Subscription subscription, String brokerExchange, boolean writeNow) {
    if (!sendEncoded(utf8, writeNow ? Send.WRITE_NOW : Send.QUEUE) && closeReason == SessionCloseReason.SLOW_CONSUMER && !slowDropReported) {
      slowDropReported = true;
      context.events().deliveryDropped(brokerExchange, subscription.routingKey(), DropReason.SLOW_CONSUMER);
    }
  }

  /**
   * Queues a live event of a history exchange: held back while the subscription's replay runs,
   * skipped when its offset was already queued (so the hand-off from replay to live is exact).
   */
  void sendHistoryEvent(byte[] utf8, Subscription subscription, long offset, String brokerExchange) {
    synchronized (sendLock) {
      if (subscriptions.contains(subscription)) {
        history.live(utf8, subscription, offset, brokerExchange);
      }
    }
  }

  /** Queues a replayed event unless the subscription is gone or the offset was queued already. */
  boolean sendReplayedEvent(byte[] utf8, Subscription subscription, long offset, String brokerExchange) {
    synchronized (sendLock) {
      if (!subscriptions.contains(subscription) || closing.get()) {
        return false;
      }
      history.queueOnce(utf8, subscription, offset, brokerExchange);
      return true;
    }
  }

  /**
   * Starts holding back live events of {@code subscription} until {@link #endHandOff}, up to half
   * the output buffer (the figure the replay pauses on): past it they are dropped and the replay
   * reads on past them.
   */
  void beginHandOff(Subscription subscription) {
    synchronized (sendLock) {
      history.begin(subscription, context.maxBufferedBytes() / 2);
    }
  }

  /**
   * Ends the replay of {@code subscription}: runs {@code reply} (the {@code Subscribed} frame) and
   * then queues the live events held back, skipping those the replay queued, all under the send
   * lock so no live event slips in between; returns {@link HandOff#NONE_DROPPED}. Does nothing if
   * the subscription was removed meanwhile or the session is closing.
   *
   * <p>{@code clientHasThrough} is the offset of the client's position when it was recovered (-1
   * otherwise): nothing at or before it is sent from now on, held or later. This node's live feed
   * may lag behind the node the client came from, so events the client already has can still
   * arrive here live after the replay found nothing newer.
   *
   * <p>When live events were dropped because they passed the hand-off's bound, and the replay
   * {@code recovered}, it does not end: holding starts again (from now on) and it returns the first
   * offset dropped; the replay reads on from there to the current head and calls again.
   */
  long endHandOff(Subscription subscription, boolean recovered, long clientHasThrough, Runnable reply) {
    synchronized (sendLock) {
      return history.end(subscription, subscriptions.contains(subscription) && !closing.get(), recovered, clientHasThrough, reply);
    }
  }

  /** Forgets a hand-off whose subscription could not be added. */
  void cancelHandOff(Subscription subscription) {
    synchronized (sendLock) {
      history.cancel(subscription);
    }
  }

  /**
   * Reserves room for an incoming message waiting to run; false when the session's backlog would
   * pass {@code limit} characters. A message always fits into an empty backlog.
   */
  boolean reserveInbound(long chars, long limit) {
    while (true) {
      long current = pendingInboundChars.get();
      if (current > 0 && current + chars > limit) {
        return false;
      }
      if (pendingInboundChars.compareAndSet(current, current + chars)) {
        return true;
      }
    }
  }

  void releaseInbound(long chars) {
    pendingInboundChars.addAndGet(-chars);
  }

  /** Adds a subscription the route table now holds; runs in the session's lane. */
  void addSubscription(Subscription subscription) {
    subscriptions.add(subscription);
  }

  boolean removeSubscription(Subscription subscription) {
    synchronized (sendLock) {
      history.forget(subscription);
      return subscriptions.remove(subscription);
    }
  }

  /**
   * Queues an already encoded UTF-8 text frame. The bytes are shared between sessions and never
   * modified, so one encoding serves every subscriber. False when not queued (closing, or closed
   * now as a slow consumer).
   */
  boolean sendEncoded(byte[] utf8) {
    return sendEncoded(utf8, Send.QUEUE);
  }

  /** How a frame goes to the connection. */
  private enum Send {
    /** Queued for the transport's writer. */
    QUEUE,
    /** Queued, and written ahead of other connections' events ({@link Connection#sendReply}). */
    REPLY,
    /** Queued, and written by the calling thread if the socket takes it at once ({@link Connection#sendTextNow}). */
    WRITE_NOW
  }

  /** As {@link #sendEncoded(byte[])}, sent the way {@code send} says. */
  private boolean sendEncoded(byte[] utf8, Send send) {
    if (closing.get() || !connection.isOpen()) {
      return false;
    }
    if (connection.bufferedBytes() + wireSize(utf8.length) > context.maxBufferedBytes()) {
      closeSlowConsumer();
      return false;
    }
    boolean queued = switch (send) {
      case QUEUE -> connection.sendText(utf8);
      case REPLY -> connection.sendReply(utf8);
      case WRITE_NOW -> connection.sendTextNow(utf8);
    };
    if (queued) {
      framesSent.increment();
      return true;
    }
    return false;
  }

  /** A server frame: 2 header bytes, 2 or 8 more for longer payloads, no mask. */
  static long wireSize(int payloadBytes) {
    return payloadBytes + (payloadBytes <= 125 ? 2 : payloadBytes <= 0xFFFF ? 4 : 10);
  }

  /** Bytes queued for this connection that the kernel has not taken yet. */
  long bufferedBytes() {
    return connection.bufferedBytes();
  }

  private void closeSlowConsumer() {
    if (closing.compareAndSet(false, true)) {
      closeReason = SessionCloseReason.SLOW_CONSUMER;
      context.events().closeDecided(SessionCloseReason.SLOW_CONSUMER);
      log.info("Session {} closed: more than {} bytes waiting for a slow client", id, context.maxBufferedBytes());
      abortLater(CloseCodes.SLOW_CONSUMER, "slow consumer");
      connection.close(CloseCodes.SLOW_CONSUMER, "slow consumer");
    }
  }

  /**
   * After a polite close, a client that does not read never sees the close frame: drop the TCP
   * connection if it is still there a little later, so its buffers are freed.
   */
  private void abortLater(int code, String reason) {
    try {
      context.timers().schedule(() -> {
        if (!connection.isClosed()) {
          connection.abort(code, reason);
        }
      }, ABORT_AFTER_CLOSE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopping) {
      connection.abort(code, reason);
    }
  }

  @Override
  public Set<Subscription> subscriptions() {
    return Set.copyOf(subscriptions);
  }

  Set<Subscription> liveSubscriptions() {
    return subscriptions;
  }

  @Override
  public void close(int code, String reason) {
    closeFor(SessionCloseReason.APPLICATION, code, reason);
  }

  /** Closes for a reason of the node's (or the application's); the first reason given wins. */
  void closeFor(SessionCloseReason reason, int code, String text) {
    if (closeReason == null) {
      closeReason = reason;
    }
    closing.set(true);
    connection.close(code, text == null ? "" : text);
  }

  /** The reason this session ended, once its connection closed with {@code code}. */
  SessionCloseReason closeReason(int code) {
    SessionCloseReason decided = closeReason;
    if (decided != null) {
      return decided;
    }
    if (code == CloseCodes.MESSAGE_TOO_BIG) {
      return SessionCloseReason.MESSAGE_TOO_BIG;
    }
    return code == ABNORMAL_CLOSURE ? SessionCloseReason.CONNECTION_LOST : SessionCloseReason.CLIENT_CLOSED;
  }

  @Override
  public boolean isOpen() {
    return !closed.get() && connection.isOpen();
  }

  @Override
  public void onClose(Runnable callback) {
    closeCallbacks.add(callback);
    if (closed.get() && closeCallbacks.remove(callback)) {
      execute(callback);
    }
  }

  /** Marks the session closed; returns false if it already was. */
  boolean markClosed() {
    closing.set(true);
    return closed.compareAndSet(false, true);
  }

  void runCloseCallbacks() {
    for (Runnable callback : closeCallbacks) {
      if (closeCallbacks.remove(callback)) {
        try {
          callback.run();
        } catch (RuntimeException e) {
          log.error("Close callback of session {} threw", id, e);
        }
      }
    }
  }

  boolean isClosing() {
    return closing.get();
  }

  SerialExecutor lane() {
    return lane;
  }

  RateLimiter rateLimiter() {
    return rateLimiter;
  }

  /** The bucket of the binds this session causes (keys no other session of the node holds). */
  RateLimiter bindLimiter() {
    return bindLimiter;
  }

  Connection connection() {
    return connection;
  }

  @Override
  public String toString() {
    return "Session " + id;
  }
}
