package io.myxi;

import java.util.Objects;

/**
 * One event for {@link Myxi#pushEvents}: {@code event} with {@code payload} for the sessions
 * subscribed to {@code routingKey} of {@code exchange}.
 *
 * @param payload anything Jackson can serialize (a Map, a record, a JsonNode), or null
 */
public record Event(String exchange, String routingKey, String event, Object payload) {
  public Event {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(event, "event");
  }

  public static Event of(String exchange, String routingKey, String event, Object payload) {
    return new Event(exchange, routingKey, event, payload);
  }
}
