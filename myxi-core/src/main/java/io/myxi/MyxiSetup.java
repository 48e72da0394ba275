package io.myxi;

/**
 * The host application's part of a node started by the runnable server ({@code myxi-server.jar
 * start}): registers its actions and exchanges on the node's {@link Myxi.Builder}.
 *
 * <p>Found through {@link java.util.ServiceLoader}: put the implementing class's name in {@code
 * META-INF/services/io.myxi.MyxiSetup} of the application's jar and start the node with that jar on
 * the class path:
 *
 * <pre>
 * java -cp myxi-server.jar:myapp.jar io.myxi.server.Main start --config myxi.yml
 * </pre>
 *
 * <p>The builder already holds what the configuration file says (broker, exchange prefix, the
 * configured exchanges and, when tokens are configured, the built-in {@code Authenticate}); a name
 * registered twice is refused at start. Implementations need a public no-argument constructor.
 * Setups run in the order of their class names.
 */
@FunctionalInterface
public interface MyxiSetup {
  void configure(Myxi.Builder builder) throws Exception;
}
