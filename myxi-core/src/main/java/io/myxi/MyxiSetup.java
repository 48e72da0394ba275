package io.myxi;

/**
 * The host application's part of a node started by the runnable server ({@code myxi-server.jar
 * start}): registers its actions and exchanges on the node's {@link Registrar}.
 *
 * <p>Found through {@link java.util.ServiceLoader}: put the implementing class's name in {@code
 * META-INF/services/io.myxi.MyxiSetup} of the application's jar and start the node with that jar on
 * the class path:
 *
 * <pre>
 * java -cp myxi-server.jar:myapp.jar io.myxi.service.Main start --config myxi.yml
 * </pre>
 *
 * <p>The configuration file owns the rest (broker, exchange prefix, publish timeout, the configured
 * exchanges and, when tokens are configured, the built-in {@code Authenticate}), so a setup can add
 * to the node but not swap its broker. A name registered twice is refused at start.
 * Implementations need a public no-argument constructor. Setups run in the order of their class
 * names.
 */
@FunctionalInterface
public interface MyxiSetup {
  void configure(Registrar registrar) throws Exception;
}
