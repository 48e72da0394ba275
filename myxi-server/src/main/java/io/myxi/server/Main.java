package io.myxi.server;

import io.myxi.server.internal.standalone.Cli;

/**
 * The runnable server's entry point: {@code java -jar myxi-server.jar start --config myxi.yml}, or
 * with the application's setups on the class path, {@code java -cp myxi-server.jar:myapp.jar
 * io.myxi.server.Main start --config myxi.yml}. See docs/configuration.md.
 *
 * <p>Only usable from the shaded {@code myxi-server.jar} (or with picocli, java-jwt, Micrometer and
 * jackson-dataformat-yaml on the class path): the library jar declares them optional.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Cli.run(args));
  }
}
