/**
 * Not API: the parts behind {@link io.myxi.broker.RabbitMqBroker} and
 * {@link io.myxi.broker.InProcessBroker}. Anything here may change or go in any release; use the
 * types of {@code io.myxi.broker} instead.
 *
 * <p>One concern per file: {@link io.myxi.broker.internal.ConnectionSupervisor} connects and
 * recovers, {@link io.myxi.broker.internal.Publisher} publishes with confirms on a connection of
 * its own, {@link io.myxi.broker.internal.RabbitNodeQueue} owns a node's queue and its recorded
 * {@link io.myxi.broker.internal.Binding}s. Each documents its threads and locks where they are
 * declared.
 */
package io.myxi.broker.internal;
