package io.myxi.server;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of a node's state and counters, for status pages, metrics and tests.
 *
 * @param nodeId the node's id (random per start)
 * @param startedAt when the node started
 * @param brokerConnected whether the node queue is connected to the broker
 * @param queueName the node queue's current name on the broker, or null while disconnected
 * @param sessions open sessions
 * @param authenticatedSessions open sessions with an auth object
 * @param subscriptions subscriptions over all sessions
 * @param bindings (exchange, routing key) pairs bound on the node queue
 * @param deliveriesReceived deliveries the broker handed to this node
 * @param eventsEncoded outgoing event frames encoded: one per delivery with subscribers, whatever
 *     their number
 * @param framesSent frames queued to clients (events, replies and server events)
 * @param deliveriesDropped deliveries dropped, by {@link DropReason#key()} ({@code invalid_body},
 *     {@code no_subscribers}, ...); only reasons that occurred are present
 * @param errorsSent Error frames sent, by error code
 * @param closes sessions closed by the node and connections refused, by the {@code key()} of
 *     {@link SessionCloseReason} (those with {@code byNode()}: {@code slow_consumer}, {@code
 *     message_too_big}, ...) and of {@link ConnectionRefusal} ({@code origin_refused}, ...); only
 *     reasons that occurred are present
 * @param recoveries times the node queue came back after a broker outage
 */
public record NodeStats(
    String nodeId,
    Instant startedAt,
    boolean brokerConnected,
    String queueName,
    int sessions,
    int authenticatedSessions,
    int subscriptions,
    int bindings,
    long deliveriesReceived,
    long eventsEncoded,
    long framesSent,
    Map<String, Long> deliveriesDropped,
    Map<String, Long> errorsSent,
    Map<String, Long> closes,
    long recoveries) {}
