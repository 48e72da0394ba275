package io.myxi.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ErrorCodes;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import io.myxi.broker.BrokerException;
import java.util.ArrayList;
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
      replies.error(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", payload.get("exchange"));
      return;
    }
    List<String> keys = routingKeys(payload);
    if (keys == null) {
      replies.error(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", payload.get("exchange"));
      return;
    }
    JsonNode since = payload.get("since");
    for (String key : keys) {
      subscribeOne(session, tag, exchange.get(), key, since == null || since.isNull() ? null : since.has("o") ? since : since.path(key));
    }
  }

  private void subscribeOne(SessionImpl session, JsonNode tag, ExchangeDefinition exchange, String routingKey, JsonNode since) {
    Subscription subscription = new Subscription(exchange.name(), routingKey);
    if (session.liveSubscriptions().contains(subscription)) {
      replies.subscriptionError(session, tag, ErrorCodes.ALREADY_SUBSCRIBED, subscription);
      return;
    }
    if (session.liveSubscriptions().size() >= maxSubscriptionsPerSession) {
      replies.subscriptionError(session, tag, ErrorCodes.TOO_MANY_SUBSCRIPTIONS, subscription);
      return;
    }
    if (!subscriptions.authorize(session, exchange, routingKey)) {
      replies.subscriptionError(session, tag, ErrorCodes.SUBSCRIPTION_DENIED, subscription);
      return;
    }
    ExchangeHistory history = histories.get(exchange.name());
    boolean resume = history != null && since != null && !since.isMissingNode();
    if (resume) {
      session.beginHandOff(subscription);
    }
    try {
      subscriptions.add(session, subscription);
    } catch (BrokerException e) {
      if (resume) {
        session.cancelHandOff(subscription);
      }
      log.warn("Session {}: subscription to {} not possible: {}", session.id(), subscription, e.getMessage());
      replies.subscriptionError(session, tag, ErrorCodes.BROKER_UNAVAILABLE, subscription);
      return;
    }
    ObjectNode reply = replies.subscription(subscription, false, false);
    if (history == null) {
      if (since != null && !since.isMissingNode()) {
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
    if (!resume) {
      session.sendReply(Events.SUBSCRIBED, tag, reply);
      return;
    }
    ExchangeHistory.Position position = position(since);
    HistoryReader.Completion completion = (recovered, reason) -> session.endHandOff(subscription, () -> {
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

  void unsubscribe(SessionImpl session, JsonNode tag, JsonNode payload) {
    JsonNode exchangeNode = payload.get("exchange");
    boolean hasKeys = payload.has("routing_key") || payload.has("routing_keys");
    List<Subscription> targets = new ArrayList<>();
    if (exchangeNode == null || exchangeNode.isNull()) {
      targets.addAll(Subscriptions.sorted(session.liveSubscriptions()));
    } else if (!exchangeNode.isTextual()) {
      replies.error(session, tag, ErrorCodes.INVALID_EXCHANGE, "exchange", exchangeNode);
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
        replies.error(session, tag, ErrorCodes.INVALID_ROUTING_KEY, "exchange", exchangeNode);
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
