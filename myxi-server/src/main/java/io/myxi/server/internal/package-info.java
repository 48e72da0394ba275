/**
 * Not API. The protocol engine of a node: {@code Node} coordinates sessions ({@code SessionImpl},
 * each with its lane, a {@code SerialExecutor} on the worker pool) over parts that never refer
 * back to it: {@code ActionDispatcher} and {@code SubscriptionActions} (client frames),
 * {@code Subscriptions} and {@code RouteTable} (who subscribes to what, when to bind),
 * {@code Reauthorizer}, {@code EventFanOut} (broker deliveries to sessions) and {@code
 * NodeEvents} (counters and the {@code NodeListener}).
 *
 * <p>The engine knows sockets only as {@code transport.Connection}; it imports nothing from
 * Java-WebSocket. See docs/architecture.md for the threading model.
 */
package io.myxi.server.internal;
