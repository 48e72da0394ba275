package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ActionDefinition;
import io.myxi.ActionRequest;
import io.myxi.CloseCodes;
import io.myxi.ErrorCodes;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.Subscription;
import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import io.myxi.server.NodeStats;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol engine of one node: sessions, actions, subscriptions, the node queue and fan-out.
 * Independent of the WebSocket library except for {@link WebSocket} handles.
 *
 * <p>Threads: the WebSocket library's threads only hand work over; actions, authorizers, binding
 * and close clean-up run on the worker pool, serialized per session; deliveries fan out on the
 * broker's dispatch thread without blocking.
 */
public final class Node implements NodeQueue.Listener {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final int MAX_ROUTING_KEY_BYTES = 255;
  private static final int MAX_ROUTING_KEYS_PER_ACTION = 1000;
  /** Refusals in a row after which a client that ignores {@code RateLimited} is disconnected. */
  private static final int RATE_LIMITED_REFUSALS_BEFORE_CLOSE = 100;
  /** Actions of one session waiting to run; more are refused with {@code RateLimited}. */
  static final int MAX_PENDING_ACTIONS = 256;
  /** Deepest nesting of arrays and objects in a client frame; deeper is InvalidJSON. */
  static final int MAX_INPUT_NESTING_DEPTH = 128;
  /** Longest tag, written as JSON, that replies echo. */
  static final int MAX_TAG_CHARS = 1024;
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Reasons for dropped deliveries, as counted in {@link NodeStats#deliveriesDropped()}. */
  static final String DROPPED_INVALID_BODY = "invalid_body";
  static final String DROPPED_NO_SUBSCRIBERS = "no_subscribers";
  static final String DROPPED_UNKNOWN_EXCHANGE = "unknown_exchange";
  static final String DROPPED_TOO_LARGE = "too_large";

  private final Myxi myxi;
  private final ObjectMapper mapper;
  private final ObjectMapper inputMapper;
  private final ServerSettings settings;
  private final String nodeId = randomHex(8);
  private final Instant startedAt = Instant.now();
  private final Stats stats = new Stats();
  private final Map<String, SessionImpl> sessions = new ConcurrentHashMap<>();
  private final Map<Subscription, Route> routes = new ConcurrentHashMap<>();
  private final ExecutorService workers;
  private final ScheduledExecutorService timers;
  private final AtomicInteger workerNumbers = new AtomicInteger();
  private volatile NodeQueue nodeQueue;
  private volatile boolean draining;

  public Node(Myxi myxi, ServerSettings settings) {
    this.myxi = myxi;
    this.mapper = myxi.objectMapper();
    // Client frames are parsed with fixed limits, whatever the application's mapper allows.
    this.inputMapper = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_INPUT_NESTING_DEPTH).build())
        .build());
    this.settings = settings;
    this.workers = new ThreadPoolExecutor(settings.workerThreads(), settings.workerThreads(), 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
      Thread thread = new Thread(runnable, "myxi-worker-" + workerNumbers.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "myxi-timer");
      thread.setDaemon(true);
      return thread;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    this.timers = scheduler;
  }

  /** Opens the node queue and starts re-authorization. */
  public void start() {
    nodeQueue = myxi.broker().openNodeQueue(this);
    long touchMillis = settings.touchInterval().toMillis();
    if (touchMillis > 0) {
      timers.scheduleWithFixedDelay(this::touchAll, touchMillis, touchMillis, TimeUnit.MILLISECONDS);
    }
  }

  ObjectMapper mapper() {
    return mapper;
  }

  ServerSettings settings() {
    return settings;
  }

  Stats stats() {
    return stats;
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  public String nodeId() {
    return nodeId;
  }

  public boolean isDraining() {
    return draining;
  }

  public int sessionCount() {
    return sessions.size();
  }

  /** Whether a new connection may be accepted now (not draining, under the connection cap). */
  public boolean acceptsConnections() {
    return !draining && (settings.maxConnections() <= 0 || sessions.size() < settings.maxConnections());
  }

  // ---------------------------------------------------------------- connection life cycle

  /** Called by the transport on the WebSocket library's thread when a connection opened. */
  public void onOpen(WebSocket connection, InetAddress remoteAddress) {
    String id = randomHex(8);
    RateLimiter limiter = new RateLimiter(settings.actionsPerSecond(), settings.actionBurst(), System.nanoTime());
    SessionImpl session = new SessionImpl(id, connection, remoteAddress, this, new SerialExecutor(workers), limiter);
    connection.setAttachment(session);
    if (!acceptsConnections()) {
      session.markClosed();
      if (draining) {
        connection.close(CloseCodes.GOING_AWAY, "server shutting down");
      } else {
        stats.count(stats.closes, "too_many_connections");
        connection.close(CloseCodes.TOO_MANY_CONNECTIONS, "too many connections");
      }
      return;
    }
    sessions.put(id, session);
    ObjectNode payload = mapper.createObjectNode().put("id", id);
    session.sendReply(Events.WELCOME, null, payload);
    Duration deadline = settings.authenticationTimeout();
    if (!deadline.isZero()) {
      timers.schedule(() -> session.actions().execute(() -> {
        if (session.isOpen() && !session.isAuthenticated()) {
          stats.count(stats.closes, "authentication_timeout");
          session.close(CloseCodes.AUTHENTICATION_TIMEOUT, "authentication timeout");
        }
      }), deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Called by the transport when a text (or binary, as UTF-8) message arrived. */
  public void onMessage(WebSocket connection, String text) {
    SessionImpl session = connection.getAttachment();
    if (session == null || session.isClosing()) {
      return;
    }
    if (!session.rateLimiter().tryAcquire(System.nanoTime())) {
      onRateLimited(session, text);
      return;
    }
    // Within the rate, actions can still arrive faster than they run (a slow authorizer): bound
    // what waits, in count and in size, as the output is bounded.
    long size = text.length();
    if (session.actions().pending() >= MAX_PENDING_ACTIONS || !session.reserveInbound(size, settings.maxBufferedBytes())) {
      sendError(session, tagOf(text), ErrorCodes.RATE_LIMITED);
      return;
    }
    session.actions().execute(() -> {
      try {
        handleMessage(session, text);
      } finally {
        session.releaseInbound(size);
      }
    });
  }

  private void onRateLimited(SessionImpl session, String text) {
    if (session.rateLimiter().refusedInARow() >= RATE_LIMITED_REFUSALS_BEFORE_CLOSE) {
      stats.count(stats.closes, "rate_limited");
      session.close(CloseCodes.RATE_LIMITED, "rate limited");
      return;
    }
    sendError(session, tagOf(text), ErrorCodes.RATE_LIMITED);
  }

  /** The tag of a message not otherwise handled, so even a refusal can be matched; null if none. */
  private JsonNode tagOf(String text) {
    try {
      JsonNode root = inputMapper.readTree(text);
      JsonNode tag = root != null && root.isObject() ? root.get("tag") : null;
      return tag != null && tag.toString().length() <= MAX_TAG_CHARS ? tag : null;
    } catch (IOException e) {
      return null; // The reply carries no tag then.
    }
  }

  /** Called by the transport when a connection closed, for whatever reason. */
  public void onClose(WebSocket connection, int code) {
    SessionImpl session = connection.getAttachment();
    if (session == null || !session.markClosed()) {
      if (session != null) {
        sessions.remove(session.id(), session);
      }
      return;
    }
    if (code == CloseCodes.MESSAGE_TOO_BIG) {
      stats.count(stats.closes, "message_too_big");
    }
    sessions.remove(session.id(), session);
    session.actions().execute(() -> {
      for (Subscription subscription : List.copyOf(session.liveSubscriptions())) {
        removeSubscription(session, subscription);
      }
      session.runCloseCallbacks();
    });
  }

  /**
   * After a polite close, a client that does not read never sees the close frame: drop the TCP
   * connection if it is still there a little later, so its buffers are freed.
   */
  void closeAbruptlyLater(SessionImpl session, int code, String reason) {
    timers.schedule(() -> {
      if (!session.connection().isClosed()) {
        session.connection().closeConnection(code, reason);
      }
    }, 2, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- actions

  private void handleMessage(SessionImpl session, String text) {
    JsonNode root;
    try {
      root = inputMapper.readTree(text);
    } catch (IOException e) {
      sendError(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    if (root == null || !root.isObject()) {
      sendError(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    JsonNode tag = root.get("tag");
    if (tag != null && tag.toString().length() > MAX_TAG_CHARS) {
      // Every reply echoes the tag: a large one times a thousand routing keys is an amplifier.
      sendError(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    JsonNode actionNode = root.get("action");
    JsonNode payload = root.get("payload");
    if (payload == null || payload.isNull()) {
      payload = mapper.createObjectNode();
    }
    if (!payload.isObject()) {
      sendError(session, tag, ErrorCodes.INVALID_JSON);
      return;
    }
    if (actionNode == null || !actionNode.isTextual()) {
      sendError(session, tag, ErrorCodes.INVALID_ACTION);
      return;
    }
    String action = actionNode.textValue();
    switch (action) {
      case "Subscribe" -> subscribe(session, tag, payload);
      case "Unsubscribe" -> unsubscribe(session, tag, payload);
      case "ListSubscriptions" -> listSubscriptions(session, tag);
      case "Ping" -> session.sendReply(Events.PONG, tag, mapper.createObjectNode().put("time", Instant.now().getEpochSecond()));
      default -> runApplicationAction(session, action, tag, payload);
    }
  }

  private void runApplicationAction(SessionImpl session, String name, JsonNode tag, JsonNode payload) {
    Optional<ActionDefinition> definition = myxi.action(name);
    if (definition.isEmpty()) {
      sendError(session, tag, ErrorCodes.INVALID_ACTION);
      return;
    }
    if (definition.get().requiresAuthentication() && !session.isAuthenticated()) {
      sendError(session, tag, ErrorCodes.AUTH_REQUIRED);
      return;
    }
    Request request = new Request(session, name, tag, payload);
    try {
      definition.get().handler().handle(request);
    } catch (Exception | LinkageError e) {
      String errorId = randomHex(6);
      log.error("Action {} of session {} failed [error id {}]", name, session.id(), errorId, e);
      stats.count(stats.errorsSent, ErrorCodes.INTERNAL_ERROR);
      ObjectNode body = mapper.createObjectNode().put("error", ErrorCodes.INTERNAL_ERROR).put("id", errorId);
      session.sendReply(Events.INTERNAL_ERROR, tag, body);
    }
  }

  private void subscribe(SessionImpl session, JsonNode tag, JsonNode payload) {
    String exchangeName = payload.path("exchange").isTextual() ? payload.get("exchange").textValue() : null;
    Optional<ExchangeDefinition> exchange = exchangeName == null ? Optional.empty() : myxi.exchange(exchangeName);
    if (exchange.isEmpty()) {
      sendError(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", payload.get("exchange"));
      return;
    }
    List<String> keys = routingKeys(payload);
    if (keys == null) {
      sendError(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", payload.get("exchange"));
      return;
    }
    for (String key : keys) {
      subscribeOne(session, tag, exchange.get(), key);
    }
  }

  private void subscribeOne(SessionImpl session, JsonNode tag, ExchangeDefinition exchange, String routingKey) {
    Subscription subscription = new Subscription(exchange.name(), routingKey);
    if (session.liveSubscriptions().contains(subscription)) {
      sendSubscriptionError(session, tag, ErrorCodes.ALREADY_SUBSCRIBED, subscription);
      return;
    }
    if (session.liveSubscriptions().size() >= settings.maxSubscriptionsPerSession()) {
      sendSubscriptionError(session, tag, ErrorCodes.TOO_MANY_SUBSCRIPTIONS, subscription);
      return;
    }
    if (!authorize(session, exchange, routingKey)) {
      sendSubscriptionError(session, tag, ErrorCodes.SUBSCRIPTION_DENIED, subscription);
      return;
    }
    try {
      addSubscription(session, subscription, exchange);
    } catch (BrokerException e) {
      log.warn("Session {}: subscription to {} not possible: {}", session.id(), subscription, e.getMessage());
      sendSubscriptionError(session, tag, ErrorCodes.BROKER_UNAVAILABLE, subscription);
      return;
    }
    session.sendReply(Events.SUBSCRIBED, tag, subscriptionPayload(subscription, false));
  }

  private boolean authorize(SessionImpl session, ExchangeDefinition exchange, String routingKey) {
    try {
      return exchange.authorizer().authorize(session, routingKey);
    } catch (Exception | LinkageError e) {
      String errorId = randomHex(6);
      log.error("Authorizer of exchange {} threw for session {} and key {}; denied [error id {}]", exchange.name(), session.id(), routingKey, errorId, e);
      return false;
    }
  }

  /** Adds the session to the route, binding the node queue first if it is the route's first. */
  private void addSubscription(SessionImpl session, Subscription subscription, ExchangeDefinition exchange) {
    while (true) {
      Route route = routes.computeIfAbsent(subscription, key -> new Route());
      synchronized (route) {
        if (route.retired) {
          continue; // Its last subscriber left while we waited; take the fresh one.
        }
        if (!route.bound) {
          try {
            currentQueue().bind(exchange.brokerName(), subscription.routingKey(), settings.bindTimeout());
          } catch (BrokerException e) {
            if (route.subscribers.isEmpty()) {
              route.retired = true;
              routes.remove(subscription, route);
            }
            throw e;
          }
          route.bound = true;
        }
        route.subscribers.add(session);
        session.liveSubscriptions().add(subscription);
        return;
      }
    }
  }

  /** Removes the session from the route, unbinding when it was the last. False if not subscribed. */
  private boolean removeSubscription(SessionImpl session, Subscription subscription) {
    if (!session.removeSubscription(subscription)) {
      return false;
    }
    Route route = routes.get(subscription);
    if (route == null) {
      return true;
    }
    synchronized (route) {
      route.subscribers.remove(session);
      if (route.subscribers.isEmpty() && !route.retired) {
        // Unbind while the route is still in the map: a subscriber arriving meanwhile waits for this
        // lock, finds the route retired and binds anew after the unbind. Removing the route first
        // would let its bind reach the broker before this unbind, which would then undo it.
        if (route.bound) {
          route.bound = false;
          myxi.exchange(subscription.exchange()).ifPresent(exchange -> currentQueue().unbind(exchange.brokerName(), subscription.routingKey()));
        }
        route.retired = true;
        routes.remove(subscription, route);
      }
    }
    return true;
  }

  private NodeQueue currentQueue() {
    NodeQueue queue = nodeQueue;
    if (queue == null) {
      throw new BrokerException("node is not started");
    }
    return queue;
  }

  private void unsubscribe(SessionImpl session, JsonNode tag, JsonNode payload) {
    JsonNode exchangeNode = payload.get("exchange");
    boolean hasKeys = payload.has("routing_key") || payload.has("routing_keys");
    List<Subscription> targets = new ArrayList<>();
    if (exchangeNode == null || exchangeNode.isNull()) {
      targets.addAll(sorted(session.liveSubscriptions()));
    } else if (!exchangeNode.isTextual()) {
      sendError(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", exchangeNode);
      return;
    } else if (!hasKeys) {
      String exchange = exchangeNode.textValue();
      for (Subscription subscription : sorted(session.liveSubscriptions())) {
        if (subscription.exchange().equals(exchange)) {
          targets.add(subscription);
        }
      }
    } else {
      List<String> keys = routingKeys(payload);
      if (keys == null) {
        sendError(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", exchangeNode);
        return;
      }
      for (String key : keys) {
        Subscription subscription = new Subscription(exchangeNode.textValue(), key);
        if (!session.liveSubscriptions().contains(subscription)) {
          sendSubscriptionError(session, tag, ErrorCodes.NOT_SUBSCRIBED, subscription);
        } else {
          targets.add(subscription);
        }
      }
    }
    for (Subscription subscription : targets) {
      if (removeSubscription(session, subscription)) {
        session.sendReply(Events.UNSUBSCRIBED, tag, subscriptionPayload(subscription, true));
      }
    }
  }

  private void listSubscriptions(SessionImpl session, JsonNode tag) {
    Map<String, Set<String>> byExchange = new TreeMap<>();
    for (Subscription subscription : session.liveSubscriptions()) {
      byExchange.computeIfAbsent(subscription.exchange(), e -> new TreeSet<>()).add(subscription.routingKey());
    }
    ObjectNode subscriptions = mapper.createObjectNode();
    byExchange.forEach((exchange, keys) -> {
      ArrayNode array = subscriptions.putArray(exchange);
      keys.forEach(array::add);
    });
    ObjectNode body = mapper.createObjectNode();
    body.set("subscriptions", subscriptions);
    session.sendReply(Events.YOUR_SUBSCRIPTIONS, tag, body);
  }

  /** The routing keys of a payload as strings, or null if missing or invalid. */
  private static List<String> routingKeys(JsonNode payload) {
    JsonNode single = payload.get("routing_key");
    JsonNode many = payload.get("routing_keys");
    List<String> keys = new ArrayList<>();
    if (single != null && !single.isNull()) {
      String key = routingKeyText(single);
      if (key == null) {
        return null;
      }
      keys.add(key);
    } else if (many != null && many.isArray() && many.size() > 0 && many.size() <= MAX_ROUTING_KEYS_PER_ACTION) {
      for (JsonNode element : many) {
        String key = routingKeyText(element);
        if (key == null) {
          return null;
        }
        keys.add(key);
      }
    } else {
      return null;
    }
    return keys;
  }

  private static String routingKeyText(JsonNode node) {
    String text;
    if (node.isTextual()) {
      text = node.textValue();
    } else if (node.isIntegralNumber()) {
      text = node.bigIntegerValue().toString();
    } else if (node.isNumber()) {
      text = node.asText();
    } else {
      return null;
    }
    return text.getBytes(StandardCharsets.UTF_8).length <= MAX_ROUTING_KEY_BYTES ? text : null;
  }

  private static List<Subscription> sorted(Set<Subscription> subscriptions) {
    List<Subscription> list = new ArrayList<>(subscriptions);
    list.sort((a, b) -> a.exchange().equals(b.exchange()) ? a.routingKey().compareTo(b.routingKey()) : a.exchange().compareTo(b.exchange()));
    return list;
  }

  private ObjectNode subscriptionPayload(Subscription subscription, boolean forUnsubscribed) {
    ObjectNode body = mapper.createObjectNode();
    body.put("exchange", subscription.exchange());
    body.put("routing_key", subscription.routingKey());
    if (forUnsubscribed) {
      body.put("exchange_name", subscription.exchange());
      body.put("auto", false);
    }
    return body;
  }

  private void sendSubscriptionError(SessionImpl session, JsonNode tag, String code, Subscription subscription) {
    sendError(session, tag, code, "exchange", subscription.exchange(), "routing_key", subscription.routingKey());
  }

  void sendError(SessionImpl session, JsonNode tag, String code, Object... fields) {
    stats.count(stats.errorsSent, code);
    ObjectNode body = mapper.createObjectNode().put("error", code);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      body.set((String) fields[i], mapper.valueToTree(fields[i + 1]));
    }
    session.sendReply(Events.ERROR, tag, body);
  }

  // ---------------------------------------------------------------- re-authorization

  private void touchAll() {
    for (SessionImpl session : sessions.values()) {
      if (!session.liveSubscriptions().isEmpty()) {
        session.actions().execute(() -> touch(session));
      }
    }
  }

  /** Runs every subscription's authorizer again; revokes what is no longer allowed. */
  public void touch(SessionImpl session) {
    for (Subscription subscription : sorted(session.liveSubscriptions())) {
      Optional<ExchangeDefinition> exchange = myxi.exchange(subscription.exchange());
      if (exchange.isPresent() && authorize(session, exchange.get(), subscription.routingKey())) {
        continue;
      }
      if (removeSubscription(session, subscription)) {
        log.debug("Session {}: subscription {} revoked by re-authorization", session.id(), subscription);
        ObjectNode body = subscriptionPayload(subscription, true);
        body.put("auto", true);
        session.sendReply(Events.UNSUBSCRIBED, null, body);
      }
    }
  }

  /** Queues re-authorization of one session after the actions already queued for it. */
  public void reauthorize(Session session) {
    SessionImpl impl = sessions.get(session.id());
    if (impl != null && impl == session) {
      impl.actions().execute(() -> touch(impl));
    }
  }

  /** Runs re-authorization for every session now; returns when it has run. For tests and admin. */
  public void touchAllNow(Duration timeout) throws InterruptedException {
    List<SessionImpl> snapshot = List.copyOf(sessions.values());
    CountDownLatch done = new CountDownLatch(snapshot.size());
    for (SessionImpl session : snapshot) {
      session.actions().execute(() -> {
        try {
          touch(session);
        } finally {
          done.countDown();
        }
      });
    }
    done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- deliveries

  @Override
  public void onDelivery(String brokerExchange, String routingKey, byte[] body) {
    stats.deliveriesReceived.increment();
    Optional<ExchangeDefinition> exchange = myxi.exchangeByBrokerName(brokerExchange);
    if (exchange.isEmpty()) {
      dropDelivery(DROPPED_UNKNOWN_EXCHANGE, brokerExchange, routingKey, body.length, "no exchange of that name is registered");
      return;
    }
    Subscription subscription = new Subscription(exchange.get().name(), routingKey);
    Route route = routes.get(subscription);
    if (route == null || route.subscribers.isEmpty()) {
      dropDelivery(DROPPED_NO_SUBSCRIBERS, brokerExchange, routingKey, body.length, "no session of this node subscribes to it");
      return;
    }
    // An event larger than a session's whole output buffer could only close every subscriber as
    // a slow consumer; do not even parse it.
    if (body.length > settings.maxBufferedBytes()) {
      dropDelivery(DROPPED_TOO_LARGE, brokerExchange, routingKey, body.length, "larger than the per-session buffer of " + settings.maxBufferedBytes() + " bytes");
      return;
    }
    byte[] frame = encodeEvent(exchange.get().name(), routingKey, body);
    if (frame == null) {
      return;
    }
    for (SessionImpl session : route.subscribers) {
      session.sendEvent(frame, subscription);
    }
  }

  private void dropDelivery(String reason, String brokerExchange, String routingKey, int bytes, String why) {
    stats.count(stats.deliveriesDropped, reason);
    if (reason.equals(DROPPED_NO_SUBSCRIBERS)) {
      // Also happens normally: events in flight while the last subscriber leaves.
      log.info("Dropped a delivery on {} / {} ({} bytes): {}", brokerExchange, routingKey, bytes, why);
    } else {
      log.warn("Dropped a delivery on {} / {} ({} bytes): {}", brokerExchange, routingKey, bytes, why);
    }
  }

  /** Parses a broker body once and encodes the outgoing frame once, for every subscriber. */
  private byte[] encodeEvent(String exchange, String routingKey, byte[] body) {
    JsonNode message;
    try {
      message = mapper.readTree(body);
    } catch (IOException e) {
      message = null;
    }
    if (message == null || !message.isObject() || !message.path("event").isTextual()) {
      dropDelivery(DROPPED_INVALID_BODY, exchange, routingKey, body.length, "the body is not {\"event\":..,\"payload\":..} JSON");
      return null;
    }
    ObjectNode frame = mapper.createObjectNode();
    frame.set("event", message.get("event"));
    JsonNode payload = message.get("payload");
    frame.set("payload", payload == null ? mapper.nullNode() : payload);
    frame.putObject("mq").put("e", exchange).put("rk", routingKey);
    try {
      byte[] encoded = mapper.writeValueAsBytes(frame);
      stats.eventsEncoded.increment();
      return encoded;
    } catch (JsonProcessingException e) {
      dropDelivery(DROPPED_INVALID_BODY, exchange, routingKey, body.length, "it cannot be written as JSON");
      return null;
    }
  }

  @Override
  public void onDisconnected(String reason) {
    log.warn("Node {} lost its broker connection ({}); subscriptions wait for recovery", nodeId, reason);
  }

  @Override
  public void onRecovered(Instant downSince, Instant upAt) {
    stats.recoveries.increment();
    ObjectNode payload = mapper.createObjectNode()
        .put("from", downSince.toEpochMilli())
        .put("to", upAt.toEpochMilli())
        .put("reason", "broker_connection_lost");
    byte[] frame;
    try {
      ObjectNode event = mapper.createObjectNode().put("event", Events.MISSED_EVENTS);
      event.set("payload", payload);
      frame = mapper.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    for (SessionImpl session : sessions.values()) {
      session.sendEncoded(frame);
    }
  }

  // ---------------------------------------------------------------- status and shutdown

  public NodeStats snapshot() {
    int subscriptions = 0;
    int authenticated = 0;
    for (SessionImpl session : sessions.values()) {
      subscriptions += session.liveSubscriptions().size();
      if (session.isAuthenticated()) {
        authenticated++;
      }
    }
    NodeQueue queue = nodeQueue;
    return new NodeStats(
        nodeId,
        startedAt,
        queue != null && queue.isConnected(),
        queue == null ? null : queue.name(),
        sessions.size(),
        authenticated,
        subscriptions,
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
      timers.schedule(() -> session.close(CloseCodes.GOING_AWAY, "server shutting down"), delay, TimeUnit.MILLISECONDS);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(windowMillis + 2000);
    while (!sessions.isEmpty() && System.nanoTime() < deadline) {
      synchronized (this) {
        wait(50);
      }
    }
  }

  /** Deletes the node queue and stops the node's threads. */
  public void close() {
    NodeQueue queue = nodeQueue;
    if (queue != null) {
      queue.close();
    }
    timers.shutdownNow();
    workers.shutdown();
    try {
      workers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /** The local subscribers of one (exchange, routing key) and whether the node queue is bound. */
  private static final class Route {
    final Set<SessionImpl> subscribers = ConcurrentHashMap.newKeySet();
    boolean bound; // guarded by this
    boolean retired; // guarded by this
  }

  /** The {@link ActionRequest} given to application handlers. */
  private final class Request implements ActionRequest {
    private final SessionImpl session;
    private final String action;
    private final JsonNode tag;
    private final JsonNode payload;

    Request(SessionImpl session, String action, JsonNode tag, JsonNode payload) {
      this.session = session;
      this.action = action;
      this.tag = tag;
      this.payload = payload;
    }

    @Override
    public Session session() {
      return session;
    }

    @Override
    public String action() {
      return action;
    }

    @Override
    public JsonNode payload() {
      return payload;
    }

    @Override
    public JsonNode tag() {
      return tag;
    }

    @Override
    public void reply(String event, Object body) {
      session.sendReply(event, tag, mapper.valueToTree(body == null ? mapper.createObjectNode() : body));
    }

    @Override
    public void error(String code, Object... fields) {
      if (fields.length % 2 != 0) {
        throw new IllegalArgumentException("fields must be name/value pairs");
      }
      sendError(session, tag, code, fields);
    }
  }
}
