package io.myxi.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The command line of myxi-server.jar. Exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
@Command(name = "myxi-server", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
    description = "Authenticated real-time WebSocket exchanges over RabbitMQ, wire-compatible with the myxi gem.",
    subcommands = {StartCommand.class, CheckConfigCommand.class, TokenCommand.class, PublishCommand.class, StatusCommand.class, CommandLine.HelpCommand.class})
public final class Cli implements Callable<Integer> {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int BAD_CONFIGURATION = 2;
  static final String DEFAULT_ADMIN_URL = "http://127.0.0.1:5006";
  static final ObjectMapper MAPPER = new ObjectMapper();

  @Spec
  CommandSpec spec;

  /** --debug: failures print their stack trace too (kept per thread: tests run commands in process). */
  private static final ThreadLocal<Boolean> DEBUG = ThreadLocal.withInitial(() -> false);

  @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "print the stack trace of a failure, not only its one line")
  void debug(boolean debug) {
    DEBUG.set(debug);
  }

  static void printStackTraceIfDebug(CommandSpec spec, Throwable e) {
    if (DEBUG.get()) {
      e.printStackTrace(spec.commandLine().getErr());
    }
  }

  /** Runs one command line and returns the exit code. */
  public static int run(String... args) {
    return run(System.getenv(), args);
  }

  static int run(Map<String, String> environment, String... args) {
    return run(environment, null, null, args);
  }

  /** With the given output streams (tests); null keeps System.out and System.err. */
  static int run(Map<String, String> environment, PrintWriter out, PrintWriter err, String... args) {
    Logging.configureDefaults();
    DEBUG.set(false);
    CommandLine commandLine = new CommandLine(new Cli());
    if (out != null) {
      commandLine.setOut(out);
    }
    if (err != null) {
      commandLine.setErr(err);
    }
    commandLine.getSubcommands().values().forEach(sub -> {
      if (sub.getCommand() instanceof ConfigOptions options) {
        options.environment = environment;
        addKeyOptions(sub.getCommandSpec());
      } else if (sub.getCommand() instanceof UsesEnvironment uses) {
        uses.environment(environment);
      }
    });
    commandLine.setParameterExceptionHandler(Cli::shortUsageError);
    commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("myxi-server: " + e.getMessage());
      if (DEBUG.get()) {
        e.printStackTrace(line.getErr());
      }
      return FAILED;
    });
    return commandLine.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return BAD_CONFIGURATION;
  }

  /**
   * A mistyped command line gets one line: what is wrong, the nearest valid name if there is one,
   * and where the help is; not the whole help.
   */
  static int shortUsageError(CommandLine.ParameterException e, String[] args) {
    CommandLine line = e.getCommandLine();
    String message = e.getMessage();
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> unmatchedArgs = unmatched.getUnmatched();
      String first = unmatchedArgs.isEmpty() ? "" : unmatchedArgs.get(0);
      message = (first.startsWith("-") ? "unknown option '" : "unknown command or argument '") + first + "'";
      String suggestion = nearest(first, first.startsWith("-") ? line.getCommandSpec().optionsMap().keySet() : line.getSubcommands().keySet());
      if (suggestion != null) {
        message += " (did you mean " + suggestion + "?)";
      }
    }
    line.getErr().println("myxi-server: " + message + "; see '" + line.getCommandSpec().qualifiedName() + " --help'");
    line.getErr().flush();
    return BAD_CONFIGURATION;
  }

  /** One flag per configuration key, named after it: {@code broker.heartbeat} is {@code --broker-heartbeat}. */
  private static void addKeyOptions(CommandSpec spec) {
    for (ConfigKey key : ConfigKeys.ALL) {
      String defaultText = key.defaultValue() == null ? "" : key.defaultValue().isEmpty() ? " (default: none)" : " (default: " + key.defaultValue() + ")";
      spec.addOption(OptionSpec.builder(key.flag())
          .paramLabel(key.type() == ConfigKey.Type.EXCHANGES ? "NAME=RULE,..." : key.type().name())
          .type(String.class)
          .description(key.description() + defaultText + "; env " + String.join(", ", key.envNames()))
          .build());
    }
  }

  interface UsesEnvironment {
    void environment(Map<String, String> environment);
  }

  /** The commands that read the configuration: a file, the environment and one flag per key. */
  abstract static class ConfigOptions {
    Map<String, String> environment = System.getenv();

    @Spec
    CommandSpec spec;

    Config load(Path file) throws ConfigException {
      Map<String, String> flags = new LinkedHashMap<>();
      for (ConfigKey key : ConfigKeys.ALL) {
        OptionSpec option = spec.findOption(key.flag());
        if (option != null && option.getValue() != null) {
          flags.put(key.name(), option.getValue());
        }
      }
      Path effective = file;
      if (effective == null && environment.get(ConfigLoader.CONFIG_ENV) != null && !environment.get(ConfigLoader.CONFIG_ENV).isBlank()) {
        effective = Path.of(environment.get(ConfigLoader.CONFIG_ENV));
      }
      return ConfigLoader.load(effective, environment, flags);
    }

    /** The file given positionally or with --config (the same one twice is fine, two different ones are not). */
    static Path configFile(Path positional, Path option) throws ConfigException {
      if (positional != null && option != null && !positional.equals(option)) {
        throw new ConfigException(List.of("two configuration files given (" + positional + " and --config " + option + "): give one"));
      }
      return option != null ? option : positional;
    }

    int invalid(ConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("myxi-server: invalid configuration:");
      for (String problem : e.problems()) {
        err.println("  - " + problem);
      }
      err.flush();
      return BAD_CONFIGURATION;
    }
  }

  /** The candidate closest to a mistyped name (edit distance at most 2), or null. */
  static String nearest(String typed, java.util.Collection<String> candidates) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : candidates) {
      int distance = editDistance(typed, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Levenshtein distance, with a swap of two neighbours counted as one edit. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** {@code --version}: the project version from the build. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"myxi-server " + Version.get() + " (Java " + Runtime.version() + ")"};
    }
  }
}
