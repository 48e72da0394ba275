/**
 * How events travel between processes. Public API: the {@link io.myxi.broker.Broker} and {@link
 * io.myxi.broker.NodeQueue} interfaces (the service provider interface a node and {@link
 * io.myxi.Myxi#pushEvent} use), {@link io.myxi.broker.BrokerException}, and the two implementations
 * an application chooses between, {@link io.myxi.broker.RabbitMqBroker} (with its builder) and
 * {@link io.myxi.broker.InProcessBroker}.
 *
 * <p>Package-private types and members are implementation and may change in any version. Nothing
 * here reads the environment: the application passes the RabbitMQ URI to the builder.
 */
package io.myxi.broker;
