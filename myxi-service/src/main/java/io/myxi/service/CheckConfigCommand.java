package io.myxi.service;

import static io.myxi.service.Cli.OK;

import io.myxi.service.Cli.ConfigOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code check-config}: validates and prints the effective configuration. */
@Command(name = "check-config", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
    description = {"Validates a configuration and prints the effective one, secrets masked.",
        "Reads the file, the env and the flags as start would; prints each value with its source.",
        "Exits 2 naming every problem."})
final class CheckConfigCommand extends ConfigOptions implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "YAML configuration file (default: env MYXI_CONFIG, else none)")
  Path file;

  @Option(names = "--config", paramLabel = "FILE", description = "the same as FILE, as the other commands take it")
  Path config;

  @Override
  public Integer call() {
    Config effective;
    try {
      effective = load(configFile(file, config));
      StandaloneNode.verify(effective);
    } catch (ConfigException e) {
      return invalid(e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(effective.describe());
    out.flush();
    for (String warning : ConfigChecks.warningsOf(effective)) {
      spec.commandLine().getErr().println("myxi-server: warning: " + warning);
    }
    spec.commandLine().getErr().println("myxi-server: configuration OK");
    return OK;
  }
}
