/**
 * Myxi's public API: the registry of one application's actions and exchanges ({@link io.myxi.Myxi}
 * and its builder, {@link io.myxi.Registrar}), what handlers and authorizers see ({@link
 * io.myxi.Session}, {@link io.myxi.ActionRequest}, {@link io.myxi.Subscription}), the wire
 * protocol's names ({@link io.myxi.ErrorCodes}, {@link io.myxi.CloseCodes}, {@link io.myxi.Events}),
 * the exceptions, and the runnable server's plug-in interface {@link io.myxi.MyxiSetup}.
 *
 * <p>Every public type here is API and keeps its meaning across minor versions; package-private
 * members (such as the constructors of {@link io.myxi.ActionDefinition} and {@link
 * io.myxi.ExchangeDefinition}) are not. The library reads no environment variable and configures no
 * logging backend: it logs through SLF4J only.
 */
package io.myxi;
