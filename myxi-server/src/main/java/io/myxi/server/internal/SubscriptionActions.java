package io.myxi.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ErrorCodes;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in actions {@code Subscribe}, {@code Unsubscribe} and {@code ListSubscriptions}: their
 * payloads, limits and replies. Runs in the session's lane.
 */
final class SubscriptionActions {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionActions.class);
  private static final int MAX_ROUTING_KEYS_PER_ACTION = 1000;

  private final Myxi myxi;
  private final Subscriptions subscriptions;
  private final Replies replies;
  private final int maxSubscriptionsPerSession;
  /** The history of each exchange that keeps one, by exchange name. */
  private final Map<String, ExchangeHistory> histories;

  SubscriptionActions(Myxi myxi, Subscriptions subscriptions, Replies replies, int maxSubscriptionsPerSession, Map<String, ExchangeHistory> histories) {
    this.histories = histories;
    this.myxi = myxi;
    this.subscriptions = subscriptions;
    this.replies = replies;
    this.maxSubscriptionsPerSession = maxSubscriptionsPerSession;
  }

  void subscribe(SessionImpl session, JsonNode tag, JsonNode payload) {
    String exchangeName = payload.path("exchange").isTextual() ? payload.get("exchange").textValue() : null;
    Optional<ExchangeDefinition> exchange = exchangeName == null ? Optional.empty() : myxi.exchange(exchangeName);
    if (exchange.isEmpty()) {
      replies.error(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", echoed(payload.get("exchange")));
      return;
    }
    List<String> keys = routingKeys(payload);
    if (keys == null) {
      replies.error(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", echoed(payload.get("exchange")));
      return;
    }
    if (!chargeKeys(session, keys.size())) {
      replies.error(session, tag, ErrorCodes.RATE_LIMITED, "exchange", exchange.get().name());
      return;
    }
    // Checks and authorizers key by key, in order; then every accepted key bound in one batch;
    // then the replies, still one per key in the order of the request.
    Map<Subscription, String> refusals = new HashMap<>();
    List<Subscription> order = new ArrayList<>(keys.size());
    List<Subscription> accepted = new ArrayList<>();
    Set<Subscription> seen = new HashSet<>();
    for (String key : keys) {
      Subscription subscription = new Subscription(exchange.get().name(), key);
      order.add(subscription);
      if (!seen.add(subscription) || session.liveSubscriptions().contains(subscription)) {
        refusals.putIfAbsent(subscription, ErrorCodes.ALREADY_SUBSCRIBED);
      } else if (session.liveSubscriptions().size() + accepted.size() >= maxSubscriptionsPerSession) {
        refusals.put(subscription, ErrorCodes.TOO_MANY_SUBSCRIPTIONS);
      } else if (!subscriptions.authorize(session, exchange.get(), key)) {
        refusals.put(subscription, ErrorCodes.SUBSCRIPTION_DENIED);
      } else {
        accepted.add(subscription);
      }
    }
    JsonNode since = payload.get("since");
    Map<Subscription, JsonNode> positions = new HashMap<>();
    if (since != null && !since.isNull()) {
      for (Subscription subscription : order) {
        JsonNode position = since.has("o") ? since : since.path(subscription.routingKey());
        if (!position.isMissingNode() && !position.isNull()) {
          positions.put(subscription, position);
        }
      }
    }
    if (accepted.isEmpty()) {
      reply(session, tag, order, refusals, Map.of(), positions);
      return;
    }
    // A subscription that resumes holds back its live events from the moment it is in the route
    // table until its replay is done (the hand-off), so nothing is missed or delivered twice.
    List<Subscription> resuming = new ArrayList<>();
    for (Subscription subscription : accepted) {
      if (histories.containsKey(subscription.exchange()) && positions.containsKey(subscription)) {
        session.beginHandOff(subscription);
        resuming.add(subscription);
      }
    }
    // The binds go to the binding thread; this worker is handed back at once, and the session's
    // next action waits in its lane until the broker answered and the replies went out.
    session.lane().holdUntil(subscriptions.addAll(session, accepted).handle((failures, thrown) -> {
      Map<Subscription, RuntimeException> outcome = failures;
      if (thrown != null) {
        log.error("Session {}: binding a batch failed", session.id(), thrown);
        outcome = new HashMap<>();
        for (Subscription subscription : accepted) {
          outcome.put(subscription, new io.myxi.broker.BrokerException("binding failed"));
        }
      }
      for (Subscription subscription : resuming) {
        if (outcome.containsKey(subscription)) {
          session.cancelHandOff(subscription);
        }
      }
      reply(session, tag, order, refusals, outcome, positions);
      return null;
    }));
  }

  /** One reply per key, in the order of the request. */
  private void reply(SessionImpl session, JsonNode tag, List<Subscription> order, Map<Subscription, String> refusals, Map<Subscription, RuntimeException> failures,
      Map<Subscription, JsonNode> positions) {
    Set<Subscription> answered = new HashSet<>();
    // One line per batch, not per key: a broker outage must not flood the log.
    for (Map.Entry<Subscription, RuntimeException> failure : failures.entrySet()) {
      if (!(failure.getValue() instanceof RouteTable.LimitException)) {
        log.warn("Session {}: subscription to {} not possible: {}", session.id(), failure.getKey(), Ids.printable(failure.getValue().getMessage()));
        break;
      }
    }
    for (Subscription subscription : order) {
      boolean first = answered.add(subscription);
      String refusal = first ? refusals.get(subscription) : ErrorCodes.ALREADY_SUBSCRIBED;
      RuntimeException failure = first ? failures.get(subscription) : null;
      if (refusal != null) {
        replies.subscriptionError(session, tag, refusal, subscription);
      } else if (failure != null) {
        replies.subscriptionError(session, tag, errorFor(failure), subscription);
      } else {
        subscribed(session, tag, subscription, positions.get(subscription));
      }
    }
  }

  /**
   * {@code Subscribed} for a bound subscription: at once, with the exchange's last position when it
   * keeps history; after the replay when the client sent a position ({@code recovered: true}, or
   * false with the reason).
   */
  private void subscribed(SessionImpl session, JsonNode tag, Subscription subscription, JsonNode since) {
    ObjectNode reply = replies.subscription(subscription, false, false);
    ExchangeHistory history = histories.get(subscription.exchange());
    if (history == null) {
      if (since != null) {
        reply.put("recovered", false).put("reason", HistoryReader.NO_HISTORY);
      }
      session.sendReply(Events.SUBSCRIBED, tag, reply);
      return;
    }
    // Read after the subscription is in the route table: every later event reaches the session live.
    ExchangeHistory.Stored head = history.head();
    if (head != null) {
      reply.putObject("position").put("o", head.offset()).put("t", head.tag());
    }
    if (since == null) {
      session.sendReply(Events.SUBSCRIBED, tag, reply);
      return;
    }
    ExchangeHistory.Position position = position(since);
    HistoryReader.Completion completion = (recovered, reason) -> session.endHandOff(subscription, recovered, recovered ? position.offset() : -1, () -> {
      reply.put("recovered", recovered);
      if (!recovered) {
        reply.put("reason", reason);
      }
      session.sendReply(Events.SUBSCRIBED, tag, reply);
    });
    if (position == null) {
      completion.done(false, HistoryReader.EPOCH);
    } else if (head == null) {
      // This node has read nothing since it started: replay to the end of the stream (events after
      // the feed attached also arrive live and are skipped by offset).
      history.reader().submit(new HistoryReader.Request(session, subscription, position, Long.MAX_VALUE, completion));
    } else {
      history.reader().submit(new HistoryReader.Request(session, subscription, position, head.offset(), completion));
    }
  }

  /** A position as clients send it, {@code {"o": offset, "t": tag}}; null if malformed. */
  static ExchangeHistory.Position position(JsonNode since) {
    JsonNode offset = since.get("o");
    JsonNode tag = since.get("t");
    if (offset == null || !offset.canConvertToLong() || !offset.isIntegralNumber() || offset.longValue() < 0 || tag == null || !tag.isTextual()
        || tag.textValue().length() > 64) {
      return null;
    }
    return new ExchangeHistory.Position(offset.longValue(), tag.textValue());
  }

  /** The error code for a bind that failed or was refused by a limit. */
  private static String errorFor(RuntimeException failure) {
    if (failure instanceof RouteTable.LimitException limit) {
      return limit.limit() == RouteTable.Limit.NODE_BINDINGS ? ErrorCodes.TOO_MANY_BINDINGS : ErrorCodes.RATE_LIMITED;
    }
    return ErrorCodes.BROKER_UNAVAILABLE;
  }

  /**
   * Every key of an action costs one token of the session's rate limit, the action's own included
   * (taken when it was admitted): a batch of N keys needs N - 1 more, all or none.
   */
  private static boolean chargeKeys(SessionImpl session, int keys) {
    return session.rateLimiter().tryAcquire(System.nanoTime(), keys - 1);
  }

  /** A client value echoed in an error: a string up to the longest valid name, else nothing. */
  static String echoed(JsonNode value) {
    if (value == null || !value.isTextual()) {
      return null;
    }
    String text = value.textValue();
    return text.length() <= Myxi.MAX_NAME_BYTES ? text : null;
  }

  void unsubscribe(SessionImpl session, JsonNode tag, JsonNode payload) {
    JsonNode exchangeNode = payload.get("exchange");
    boolean hasKeys = payload.has("routing_key") || payload.has("routing_keys");
    List<Subscription> targets = new ArrayList<>();
    if (exchangeNode == null || exchangeNode.isNull()) {
      targets.addAll(Subscriptions.sorted(session.liveSubscriptions()));
    } else if (!exchangeNode.isTextual() || myxi.exchange(exchangeNode.textValue()).isEmpty()) {
      // One answer, whatever the number of keys: the name is unchecked client input.
      replies.error(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", echoed(exchangeNode));
      return;
    } else if (!hasKeys) {
      String exchange = exchangeNode.textValue();
      for (Subscription subscription : Subscriptions.sorted(session.liveSubscriptions())) {
        if (subscription.exchange().equals(exchange)) {
          targets.add(subscription);
        }
      }
    } else {
      List<String> keys = routingKeys(payload);
      if (keys == null) {
        replies.error(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", echoed(exchangeNode));
        return;
      }
      if (!chargeKeys(session, keys.size())) {
        replies.error(session, tag, ErrorCodes.RATE_LIMITED, "exchange", exchangeNode.textValue());
        return;
      }
      for (String key : keys) {
        Subscription subscription = new Subscription(exchangeNode.textValue(), key);
        if (!session.liveSubscriptions().contains(subscription)) {
          replies.subscriptionError(session, tag, ErrorCodes.NOT_SUBSCRIBED, subscription);
        } else {
          targets.add(subscription);
        }
      }
    }
    for (Subscription subscription : targets) {
      if (subscriptions.remove(session, subscription)) {
        session.sendReply(Events.UNSUBSCRIBED, tag, replies.subscription(subscription, true, false));
      }
    }
  }

  void list(SessionImpl session, JsonNode tag) {
    Map<String, Set<String>> byExchange = new TreeMap<>();
    for (Subscription subscription : session.liveSubscriptions()) {
      byExchange.computeIfAbsent(subscription.exchange(), e -> new TreeSet<>()).add(subscription.routingKey());
    }
    ObjectNode subscribed = replies.mapper().createObjectNode();
    byExchange.forEach((exchange, keys) -> {
      ArrayNode array = subscribed.putArray(exchange);
      keys.forEach(array::add);
    });
    ObjectNode body = replies.mapper().createObjectNode();
    body.set("subscriptions", subscribed);
    session.sendReply(Events.YOUR_SUBSCRIPTIONS, tag, body);
  }

  /** The routing keys of a payload as strings, or null if missing or invalid. */
  static List<String> routingKeys(JsonNode payload) {
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

  /** A key as the gem accepts it (strings, and numbers as their text), or null if invalid. */
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
    return Myxi.isValidRoutingKey(text) ? text : null;
  }
}
