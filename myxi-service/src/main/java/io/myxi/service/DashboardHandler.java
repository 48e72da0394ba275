package io.myxi.service;

import com.sun.net.httpserver.HttpExchange;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeDashboard;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The admin listener's live dashboard: {@code GET /dashboard} (the page, public: it holds no data)
 * and {@code GET /dashboard.json} (what it polls; behind the admin token like {@code /status}).
 * Both come from {@link NodeDashboard}, which embedders mount on their own HTTP server.
 */
final class DashboardHandler {
  private final NodeDashboard dashboard;

  DashboardHandler(MyxiServer server) {
    this.dashboard = new NodeDashboard(server);
  }

  void page(HttpExchange exchange) throws IOException {
    // The page runs only its own inline script and reads only its own origin.
    exchange.getResponseHeaders().set("Content-Security-Policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    send(exchange, "text/html; charset=utf-8", NodeDashboard.page());
  }

  void json(HttpExchange exchange) throws IOException {
    send(exchange, "application/json", dashboard.json());
  }

  private static void send(HttpExchange exchange, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(200, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
