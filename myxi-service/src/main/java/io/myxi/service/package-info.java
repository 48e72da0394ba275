/**
 * The runnable server ({@code myxi-server.jar}): command line, configuration (YAML file,
 * environment, flags), signed session tokens, the admin HTTP listener, metrics and logging, built on
 * the libraries myxi-core and myxi-server.
 *
 * <p>Not a library API. Its contract is the command line, the configuration keys and the admin
 * HTTP API documented in docs/configuration.md, plus {@link io.myxi.MyxiSetup} for application
 * plug-ins. The public types here ({@link io.myxi.service.Main}, and those the command line and
 * tests reach) may change in any version; applications embed {@code io.myxi.Myxi} and {@code
 * io.myxi.server.MyxiServer} instead.
 */
package io.myxi.service;
