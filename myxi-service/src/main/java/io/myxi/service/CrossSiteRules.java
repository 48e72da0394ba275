package io.myxi.service;

import io.myxi.service.AdminHttp.Request;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the admin listener refuses because a browser sent it on a web page's behalf: a request
 * with an {@code Origin} (every cross-origin request, and every POST) or a {@code Sec-Fetch-Site}
 * saying another site made it; without a token, a {@code Host} that does not name the listener (a
 * DNS-rebound page); and a body a page could send without a preflight (anything but JSON). Pure:
 * the listener turns a {@link Refusal} into its error answer.
 */
final class CrossSiteRules {
  /** Why a request is refused: the HTTP status, the error code and its message. */
  record Refusal(int status, String code, String message) {}

  private static final Refusal FROM_A_PAGE = new Refusal(403, AdminServer.Errors.CROSS_SITE_REQUEST,
      "requests from web pages are refused (Origin or Sec-Fetch-Site present)");
  private static final Refusal FOREIGN_HOST = new Refusal(421, AdminServer.Errors.HOST_NOT_ALLOWED,
      "the Host header does not name this listener (add it to admin.allowed_hosts)");
  private static final Refusal NOT_JSON = new Refusal(415, AdminServer.Errors.UNSUPPORTED_MEDIA_TYPE,
      "send the body as Content-Type: application/json");

  /** Host values accepted without a token (lower case); null when a token guards the listener. */
  private final Set<String> allowedHosts;

  CrossSiteRules(String bindAddress, int port, List<String> configuredHosts, boolean tokenRequired) {
    this.allowedHosts = tokenRequired ? null : expectedHosts(bindAddress, port, configuredHosts);
  }

  /**
   * The Host values that name a listener: its address and the loopback names, with its port (and
   * without, for a client that leaves the port out), plus the configured ones as written.
   */
  static Set<String> expectedHosts(String bindAddress, int port, List<String> configured) {
    Set<String> hosts = new LinkedHashSet<>();
    List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1", "[::1]"));
    String bind = bindAddress.contains(":") && !bindAddress.startsWith("[") ? "[" + bindAddress + "]" : bindAddress;
    names.add(bind);
    for (String name : names) {
      hosts.add(name.toLowerCase(Locale.ROOT));
      hosts.add(name.toLowerCase(Locale.ROOT) + ":" + port);
    }
    configured.forEach(host -> hosts.add(host.toLowerCase(Locale.ROOT)));
    return hosts;
  }

  /** Null for a request that is not page-made and names this listener; else why it is refused. */
  Refusal pageOrForeignHost(Request request) {
    String fetchSite = request.header("Sec-Fetch-Site");
    if (request.header("Origin") != null || "cross-site".equalsIgnoreCase(fetchSite) || "same-site".equalsIgnoreCase(fetchSite)) {
      return FROM_A_PAGE;
    }
    if (allowedHosts != null) {
      String host = request.header("Host");
      if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
        return FOREIGN_HOST;
      }
    }
    return null;
  }

  /** A page can POST text/plain or a form without a preflight, never application/json. */
  static Refusal notJson(Request request) {
    String contentType = request.header("Content-Type");
    String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return mediaType.equals("application/json") ? null : NOT_JSON;
  }
}
