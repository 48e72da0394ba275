package io.myxi.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.CloseCodes;
import io.myxi.Session;
import io.myxi.Subscription;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.TextFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One WebSocket connection and its Myxi state. */
final class SessionImpl implements Session {
  private static final Logger log = LoggerFactory.getLogger(SessionImpl.class);

  private final String id;
  private final WebSocket connection;
  private final InetAddress remoteAddress;
  private final Node node;
  private final SerialExecutor actions;
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final List<Runnable> closeCallbacks = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final Object sendLock = new Object();
  private final AtomicLong pendingInboundChars = new AtomicLong();
  private final RateLimiter rateLimiter;
  private volatile Object auth;

  SessionImpl(String id, WebSocket connection, InetAddress remoteAddress, Node node, SerialExecutor actions, RateLimiter rateLimiter) {
    this.id = id;
    this.connection = connection;
    this.remoteAddress = remoteAddress;
    this.node = node;
    this.actions = actions;
    this.rateLimiter = rateLimiter;
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
    ObjectNode frame = node.mapper().createObjectNode();
    frame.put("event", event);
    frame.set("payload", node.mapper().valueToTree(payload));
    sendJson(frame);
  }

  void sendReply(String event, JsonNode tag, JsonNode payload) {
    ObjectNode frame = node.mapper().createObjectNode();
    frame.put("event", event);
    if (tag != null) {
      frame.set("tag", tag);
    }
    frame.set("payload", payload);
    sendJson(frame);
  }

  void sendJson(JsonNode frame) {
    String json;
    try {
      json = node.mapper().writeValueAsString(frame);
    } catch (Exception e) {
      throw new IllegalArgumentException("frame cannot be written as JSON", e);
    }
    sendEncoded(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Queues an event of {@code subscription} unless the session no longer holds it. Checked under
   * the same lock as {@link #removeSubscription}: once a subscription is removed (and its
   * {@code Unsubscribed} sent afterwards), not one more event of it is queued.
   */
  void sendEvent(byte[] utf8, Subscription subscription) {
    synchronized (sendLock) {
      if (subscriptions.contains(subscription)) {
        sendEncoded(utf8);
      }
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

  boolean removeSubscription(Subscription subscription) {
    synchronized (sendLock) {
      return subscriptions.remove(subscription);
    }
  }

  /**
   * Queues an already encoded UTF-8 text frame. The bytes are shared between sessions and never
   * modified, so one encoding serves every subscriber.
   */
  void sendEncoded(byte[] utf8) {
    if (closing.get() || !connection.isOpen()) {
      return;
    }
    if (bufferedBytes() + wireSize(utf8.length) > node.settings().maxBufferedBytes()) {
      closeSlowConsumer();
      return;
    }
    TextFrame frame = new TextFrame();
    frame.setPayload(ByteBuffer.wrap(utf8));
    frame.setFin(true);
    try {
      connection.sendFrame(frame);
      node.stats().framesSent.increment();
    } catch (RuntimeException e) {
      // The socket closed between the check and the write; onClose cleans up.
      log.debug("Session {}: frame not sent: {}", id, e.toString());
    }
  }

  /** A server frame: 2 header bytes, 2 or 8 more for longer payloads, no mask. */
  static long wireSize(int payloadBytes) {
    return payloadBytes + (payloadBytes <= 125 ? 2 : payloadBytes <= 0xFFFF ? 4 : 10);
  }

  /** Bytes queued for this connection that the kernel has not taken yet. */
  long bufferedBytes() {
    // Every connection of the node is a MyxiWebSocket (see MyxiWebSocketFactory): the count is exact.
    return connection instanceof MyxiWebSocket webSocket ? webSocket.bufferedBytes() : 0;
  }

  private void closeSlowConsumer() {
    if (closing.compareAndSet(false, true)) {
      node.stats().count(node.stats().closes, "slow_consumer");
      log.info("Session {} closed: more than {} bytes waiting for a slow client", id, node.settings().maxBufferedBytes());
      node.closeAbruptlyLater(this, CloseCodes.SLOW_CONSUMER, "slow consumer");
      connection.close(CloseCodes.SLOW_CONSUMER, "slow consumer");
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
    closing.set(true);
    connection.close(code, reason == null ? "" : reason);
  }

  @Override
  public boolean isOpen() {
    return !closed.get() && connection.isOpen();
  }

  @Override
  public void onClose(Runnable callback) {
    closeCallbacks.add(callback);
    if (closed.get() && closeCallbacks.remove(callback)) {
      actions.execute(callback);
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

  SerialExecutor actions() {
    return actions;
  }

  RateLimiter rateLimiter() {
    return rateLimiter;
  }

  WebSocket connection() {
    return connection;
  }

  @Override
  public String toString() {
    return "Session " + id;
  }
}
