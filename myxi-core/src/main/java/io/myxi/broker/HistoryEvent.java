package io.myxi.broker;

/**
 * One event read from an exchange's history stream.
 *
 * @param offset its position in the stream (0, 1, 2...; never reused while the stream lives)
 * @param tag the id the publisher gave it (or a fingerprint of the body when there is none): with
 *     the offset it tells whether a position still names the same event after the stream was
 *     deleted and created again
 * @param routingKey the routing key it was published with
 * @param body the event as published: {@code {"event":..,"payload":..}} JSON
 */
public record HistoryEvent(long offset, String tag, String routingKey, byte[] body) {}
