package io.myxi.service;

/**
 * The runnable server's entry point: {@code java -jar myxi-server.jar start --config myxi.yml}, or
 * with the application's setups on the class path, {@code java -cp myxi-server.jar:myapp.jar
 * io.myxi.service.Main start --config myxi.yml}. See docs/configuration.md.
 *
 * <p>{@code myxi-server.jar} is the myxi-service module's shaded artifact (classifier {@code all}):
 * it bundles this module, the library and the service's own dependencies (picocli, java-jwt,
 * Micrometer, jackson-dataformat-yaml, logback).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Cli.run(args));
  }
}
