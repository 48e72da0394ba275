package io.myxi.service;

import io.myxi.server.MyxiServer;
import io.myxi.server.NodeDashboard;
import java.util.Map;

/**
 * The admin listener's live dashboard: {@code GET /dashboard} (the page, public: it holds no data)
 * and {@code GET /dashboard.json} (what it polls; behind the admin token like {@code /status}).
 * Both come from {@link NodeDashboard}, which embedders mount on their own HTTP server.
 */
final class DashboardHandler {
  /** The page runs only its own inline script and reads only its own origin. */
  static final Map<String, String> PAGE_HEADERS = Map.of(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'",
      "X-Content-Type-Options", "nosniff",
      "Cache-Control", "no-store");

  private final NodeDashboard dashboard;

  DashboardHandler(MyxiServer server) {
    this.dashboard = new NodeDashboard(server);
  }

  byte[] page() {
    return NodeDashboard.page();
  }

  /** A fresh snapshot (rates since the previous poll). */
  byte[] json() {
    return dashboard.json();
  }
}
