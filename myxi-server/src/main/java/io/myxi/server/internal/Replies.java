package io.myxi.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.Events;
import io.myxi.Subscription;

/** The node's replies that several parts send: errors and subscription payloads. Thread-safe. */
final class Replies {
  private final ObjectMapper mapper;
  private final NodeEvents events;

  Replies(ObjectMapper mapper, NodeEvents events) {
    this.mapper = mapper;
    this.events = events;
  }

  ObjectMapper mapper() {
    return mapper;
  }

  /** {@code Error} with {@code code} and name/value pairs of extra fields, counted by code. */
  void error(SessionImpl session, JsonNode tag, String code, Object... fields) {
    events.errorSent(code);
    ObjectNode body = mapper.createObjectNode().put("error", code);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      body.set((String) fields[i], mapper.valueToTree(fields[i + 1]));
    }
    session.sendReply(Events.ERROR, tag, body);
  }

  void subscriptionError(SessionImpl session, JsonNode tag, String code, Subscription subscription) {
    error(session, tag, code, "exchange", subscription.exchange(), "routing_key", subscription.routingKey());
  }

  /** The payload of {@code Subscribed}, or of {@code Unsubscribed} with {@code auto}. */
  ObjectNode subscription(Subscription subscription, boolean forUnsubscribed, boolean auto) {
    ObjectNode body = mapper.createObjectNode();
    body.put("exchange", subscription.exchange());
    body.put("routing_key", subscription.routingKey());
    if (forUnsubscribed) {
      body.put("exchange_name", subscription.exchange());
      body.put("auto", auto);
    }
    return body;
  }
}
