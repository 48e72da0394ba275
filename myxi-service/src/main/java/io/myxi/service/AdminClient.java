package io.myxi.service;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The few HTTP calls the CLI makes to a node's admin API. */
final class AdminClient {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private AdminClient() {}

  static HttpResponse<String> send(String base, String path, String method, String body, String token) throws IOException, InterruptedException {
    String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(trimmed + path)).timeout(Duration.ofSeconds(30));
    if (body != null) {
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    if (token != null && !token.isBlank()) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  static String describe(Exception e) {
    if (e instanceof ConnectException) {
      return "connection refused (is the node running, with admin.enabled?)";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** --admin-token of the command, else MYXI_ADMIN_TOKEN. */
  static String adminToken(CommandSpec spec, Map<String, String> environment) {
    OptionSpec option = spec.findOption("--admin-token");
    String token = option == null ? null : option.getValue();
    return token != null ? token : environment.get(ConfigKeys.get(ConfigKeys.ADMIN_TOKEN).env());
  }
}
