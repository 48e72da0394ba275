package io.myxi.service;

import static io.myxi.service.Cli.BAD_CONFIGURATION;
import static io.myxi.service.Cli.DEFAULT_ADMIN_URL;
import static io.myxi.service.Cli.FAILED;
import static io.myxi.service.Cli.MAPPER;
import static io.myxi.service.Cli.OK;

import io.myxi.service.Cli.UsesEnvironment;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code status}: a running node's status. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
    description = {"Prints a running node's status as JSON (GET /status of its admin API).", "Exits 1 when it cannot be reached."})
final class StatusCommand implements Callable<Integer>, UsesEnvironment {
  @Spec
  CommandSpec spec;
  Map<String, String> environment = System.getenv();

  @Option(names = "--admin-url", paramLabel = "URL", description = "the node's admin API (default: env MYXI_ADMIN_URL, else " + DEFAULT_ADMIN_URL + ")")
  String adminUrl;

  @Option(names = "--admin-token", paramLabel = "TOKEN", description = "bearer token (default: env MYXI_ADMIN_TOKEN)")
  String adminToken;

  @Option(names = "--config", paramLabel = "FILE", description = "take admin.bind_address and admin.port from this configuration file (default: env MYXI_CONFIG)")
  Path config;

  @Override
  public void environment(Map<String, String> environment) {
    this.environment = environment;
  }

  /** --admin-url, else MYXI_ADMIN_URL, else the admin listener of the configuration (file and env), else the default. */
  private String adminUrl() throws ConfigException {
    if (adminUrl != null) {
      return adminUrl;
    }
    String fromEnvironment = environment.get("MYXI_ADMIN_URL");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return fromEnvironment;
    }
    Path file = config;
    String configEnv = environment.get(ConfigLoader.CONFIG_ENV);
    if (file == null && configEnv != null && !configEnv.isBlank()) {
      file = Path.of(configEnv);
    }
    Config loaded = ConfigLoader.load(file, environment, Map.of());
    String host = loaded.string(ConfigKeys.ADMIN_BIND_ADDRESS);
    if (host == null || host.isBlank() || host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + loaded.integer(ConfigKeys.ADMIN_PORT);
  }

  @Override
  public Integer call() throws Exception {
    String admin;
    try {
      admin = adminUrl();
    } catch (ConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("myxi-server: invalid configuration:");
      e.problems().forEach(problem -> err.println("  - " + problem));
      return BAD_CONFIGURATION;
    }
    HttpResponse<String> response;
    try {
      response = AdminClient.send(admin, "/status", "GET", null, AdminClient.adminToken(spec, environment));
    } catch (IOException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("myxi-server: cannot reach the admin API at " + admin + ": " + AdminClient.describe(e));
      return FAILED;
    }
    if (response.statusCode() != 200) {
      spec.commandLine().getErr().println("myxi-server: HTTP " + response.statusCode() + " " + response.body());
      return FAILED;
    }
    spec.commandLine().getOut().println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(MAPPER.readTree(response.body())));
    return OK;
  }
}
