package io.myxi.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The examples' small web server: serves their HTML pages, the browser client {@code /myxi.js}
 * (shipped in the myxi-server jar) and a few JSON endpoints. Uses the JDK's HttpServer so the
 * examples need nothing beyond Myxi.
 */
final class ExampleWebServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExampleWebServer.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Answers a POST with a JSON-serializable value, from the request's query and form fields. */
  @FunctionalInterface
  interface Endpoint {
    Object handle(Map<String, String> parameters) throws Exception;
  }

  private final HttpServer server;

  ExampleWebServer(String bindAddress, int port) throws IOException {
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 64);
    server.setExecutor(Executors.newFixedThreadPool(4, runnable -> {
      Thread thread = new Thread(runnable, "example-http");
      thread.setDaemon(true);
      return thread;
    }));
    resource("/myxi.js", "io/myxi/client/myxi.global.js", "text/javascript");
    resource("/myxi.mjs", "io/myxi/client/myxi.js", "text/javascript");
  }

  /** Serves a classpath resource at {@code path}. */
  ExampleWebServer resource(String path, String resource, String contentType) {
    server.createContext(path, exchange -> {
      if (!exchange.getRequestURI().getPath().equals(path)) {
        send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
        return;
      }
      try (InputStream in = ExampleWebServer.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          send(exchange, 404, "text/plain", ("missing resource " + resource).getBytes(StandardCharsets.UTF_8));
          return;
        }
        send(exchange, 200, contentType + "; charset=utf-8", in.readAllBytes());
      }
    });
    return this;
  }

  /** Serves an example page with {@code {{name}}} placeholders filled in. */
  ExampleWebServer page(String path, String resource, Map<String, String> values) {
    server.createContext(path, exchange -> {
      try (InputStream in = ExampleWebServer.class.getClassLoader().getResourceAsStream(resource)) {
        String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        for (Map.Entry<String, String> value : values.entrySet()) {
          html = html.replace("{{" + value.getKey() + "}}", value.getValue());
        }
        send(exchange, 200, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
      }
    });
    return this;
  }

  /** A POST endpoint answering JSON; anything else is 405. Exceptions answer 500 without details. */
  ExampleWebServer post(String path, Endpoint endpoint) {
    server.createContext(path, exchange -> {
      if (!"POST".equals(exchange.getRequestMethod())) {
        send(exchange, 405, "text/plain", "POST only".getBytes(StandardCharsets.UTF_8));
        return;
      }
      try {
        Map<String, String> parameters = parameters(exchange);
        Object result = endpoint.handle(parameters);
        send(exchange, 200, "application/json", MAPPER.writeValueAsBytes(result));
      } catch (IllegalArgumentException e) {
        send(exchange, 400, "application/json", MAPPER.writeValueAsBytes(Map.of("error", e.getMessage())));
      } catch (Exception e) {
        log.error("Endpoint {} failed", path, e);
        send(exchange, 500, "application/json", MAPPER.writeValueAsBytes(Map.of("error", "internal error")));
      }
    });
    return this;
  }

  private static Map<String, String> parameters(HttpExchange exchange) throws IOException {
    Map<String, String> parameters = new HashMap<>();
    String query = exchange.getRequestURI().getRawQuery();
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    for (String source : new String[] {query, body}) {
      if (source == null || source.isBlank()) {
        continue;
      }
      for (String pair : source.split("&")) {
        int equals = pair.indexOf('=');
        if (equals > 0) {
          parameters.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return parameters;
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  ExampleWebServer start() {
    server.start();
    return this;
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
