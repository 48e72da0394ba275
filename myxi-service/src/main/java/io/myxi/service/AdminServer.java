package io.myxi.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ErrorCodes;
import io.myxi.Myxi;
import io.myxi.PublishException;
import io.myxi.server.MyxiServer;
import io.myxi.server.NodeStats;
import io.myxi.service.AdminHttp.Request;
import io.myxi.service.AdminHttp.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: {@code POST /publish}, {@code GET /status}, {@code /metrics}, {@code /health},
 * {@code /ready}, {@code /myxi.js} and the dashboard ({@link DashboardHandler}), on {@link AdminHttp} (bounded request time, connection caps).
 *
 * <p>Threads: {@code /health}, {@code /ready} and the client scripts are answered on the
 * connection's own thread, at once; {@code /publish}, {@code /status} and {@code /metrics} run on
 * a pool of four ({@code myxi-admin-N}), since a publish waits for RabbitMQ's confirm. A stuck pool
 * so never silences the probes.
 *
 * <p>Cross-site requests: the endpoints that act or tell ({@code /publish}, {@code /status},
 * {@code /metrics}) refuse any request a browser marks as coming from a page ({@code Origin}, or
 * {@code Sec-Fetch-Site} other than {@code none}/{@code same-origin}); {@code /publish} takes only
 * {@code application/json}, which a page cannot send without a preflight; and without a token the
 * {@code Host} must name this listener (loopback forms or {@code admin.allowed_hosts}), which
 * defeats DNS rebinding.
 */
final class AdminServer {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Largest request body accepted by {@code /publish}. */
  static final int MAX_BODY_BYTES = 1024 * 1024;
  /** Most events in one {@code /publish} batch. */
  static final int MAX_BATCH = 1000;
  /** The plain {@code <script>} build (sets {@code window.Myxi}), served at {@code /myxi.js}. */
  static final String CLIENT_RESOURCE = "io/myxi/client/myxi.global.js";
  /** The ES module, served at {@code /myxi.mjs}. */
  static final String CLIENT_MODULE_RESOURCE = "io/myxi/client/myxi.js";

  /** {@code error} values of the admin API's JSON error bodies. */
  static final class Errors {
    static final String INVALID_JSON = ErrorCodes.INVALID_JSON;
    static final String INVALID_EXCHANGE = ErrorCodes.INVALID_EXCHANGE;
    static final String INVALID_ROUTING_KEY = ErrorCodes.INVALID_ROUTING_KEY;
    static final String INVALID_EVENT = "InvalidEvent";
    static final String BROKER_UNAVAILABLE = ErrorCodes.BROKER_UNAVAILABLE;
    static final String UNAUTHORIZED = "Unauthorized";
    static final String NOT_FOUND = "NotFound";
    static final String METHOD_NOT_ALLOWED = "MethodNotAllowed";
    static final String PAYLOAD_TOO_LARGE = "PayloadTooLarge";
    static final String CROSS_SITE_REQUEST = "CrossSiteRequest";
    static final String HOST_NOT_ALLOWED = "HostNotAllowed";
    static final String UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType";
    static final String BUSY = "Busy";

    private Errors() {}
  }

  private final Config config;
  private final MyxiServer server;
  private final Myxi myxi;
  private final Metrics metrics;
  private final ObjectMapper mapper;
  private final byte[] token;
  private final AdminHttp http;
  /** The slow endpoints' threads: publish, status, metrics. */
  private final ExecutorService threads;
  /** Requests running on {@link #threads} now (tests wait on it). */
  private final AtomicInteger pooledInFlight = new AtomicInteger();
  private final CrossSiteRules crossSite;
  private final DashboardHandler dashboard;

  AdminServer(Config config, MyxiServer server, Metrics metrics) throws IOException {
    this.config = config;
    this.server = server;
    this.myxi = server.myxi();
    this.metrics = metrics;
    this.mapper = myxi.objectMapper();
    this.dashboard = new DashboardHandler(server);
    String configured = config.string(ConfigKeys.ADMIN_TOKEN);
    this.token = configured == null || configured.isEmpty() ? null : configured.getBytes(StandardCharsets.UTF_8);
    AdminHttp.Limits limits = new AdminHttp.Limits(config.duration(ConfigKeys.ADMIN_REQUEST_TIMEOUT), config.integer(ConfigKeys.ADMIN_MAX_CONNECTIONS),
        config.integer(ConfigKeys.ADMIN_MAX_CONNECTIONS_PER_ADDRESS), MAX_BODY_BYTES);
    this.http = new AdminHttp(new InetSocketAddress(config.string(ConfigKeys.ADMIN_BIND_ADDRESS), config.integer(ConfigKeys.ADMIN_PORT)), limits, this::dispatch);
    AtomicInteger numbers = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(4, runnable -> AdminHttp.daemon(runnable, "myxi-admin-" + numbers.incrementAndGet()));
    this.crossSite = new CrossSiteRules(config.string(ConfigKeys.ADMIN_BIND_ADDRESS), http.port(), config.list(ConfigKeys.ADMIN_ALLOWED_HOSTS), token != null);
  }

  void start() {
    http.start();
    log.info("Admin listener on http://{}:{}/ ({})", config.string(ConfigKeys.ADMIN_BIND_ADDRESS), port(), token == null ? "no token" : "bearer token required");
  }

  int port() {
    return http.port();
  }

  int pooledInFlight() {
    return pooledInFlight.get();
  }

  void stop() {
    http.close();
    threads.shutdownNow();
  }

  /** Runs on the connection's thread: cheap endpoints answer here, the others go to the pool. */
  private void dispatch(Request request, Response response) {
    Exchange exchange = new Exchange(request, response);
    switch (request.path()) {
      case "/health", "/ready", "/myxi.js", "/myxi.mjs" -> handle(exchange);
      default -> {
        try {
          threads.execute(() -> {
            pooledInFlight.incrementAndGet();
            try {
              handle(exchange);
            } finally {
              pooledInFlight.decrementAndGet();
            }
          });
        } catch (RejectedExecutionException e) {
          exchange.respond(503, "application/json", errorBytes(Errors.BUSY, "the admin listener is stopping"));
        }
      }
    }
  }

  private void handle(Exchange exchange) {
    try {
      String path = exchange.request.path();
      String method = exchange.request.method();
      switch (path) {
        case "/health" -> {
          if (requireMethod(exchange, method, "GET")) {
            json(exchange, 200, mapper.createObjectNode().put("status", "up"));
          }
        }
        case "/ready" -> {
          if (requireMethod(exchange, method, "GET")) {
            boolean ready = server.isReady();
            json(exchange, ready ? 200 : 503, mapper.createObjectNode().put("ready", ready).put("broker_connected", server.stats().brokerConnected()));
          }
        }
        case "/myxi.js" -> {
          if (requireMethod(exchange, method, "GET")) {
            serveClient(exchange, CLIENT_RESOURCE);
          }
        }
        case "/myxi.mjs" -> {
          if (requireMethod(exchange, method, "GET")) {
            serveClient(exchange, CLIENT_MODULE_RESOURCE);
          }
        }
        case "/dashboard" -> {
          if (requireMethod(exchange, method, "GET")) {
            exchange.headers.putAll(DashboardHandler.PAGE_HEADERS);
            send(exchange, 200, "text/html; charset=utf-8", dashboard.page());
          }
        }
        case "/dashboard.json" -> {
          if (requireMethod(exchange, method, "GET") && sameSite(exchange) && authorized(exchange)) {
            exchange.headers.put("Cache-Control", "no-store");
            send(exchange, 200, "application/json", dashboard.json());
          }
        }
        case "/status" -> {
          if (requireMethod(exchange, method, "GET") && sameSite(exchange) && authorized(exchange)) {
            json(exchange, 200, status());
          }
        }
        case "/metrics" -> {
          if (requireMethod(exchange, method, "GET") && sameSite(exchange) && authorized(exchange)) {
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
          }
        }
        case "/publish" -> {
          if (requireMethod(exchange, method, "POST") && sameSite(exchange) && authorized(exchange) && jsonBody(exchange)) {
            publish(exchange);
          }
        }
        default -> error(exchange, 404, Errors.NOT_FOUND, "no such endpoint");
      }
    } catch (IOException | RuntimeException e) {
      byte[] random = new byte[6];
      RANDOM.nextBytes(random);
      String errorId = HexFormat.of().formatHex(random);
      log.error("Admin request {} {} failed [error id {}]", exchange.request.method(), printable(exchange.request.path()), errorId, e);
      exchange.respond(500, "application/json", ("{\"error\":\"" + ErrorCodes.INTERNAL_ERROR + "\",\"id\":\"" + errorId + "\"}").getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Refuses what a browser sends on a web page's behalf: with an {@code Origin} (every cross-origin
   * request, and every POST), or a {@code Sec-Fetch-Site} saying another site made it; and, when no
   * token guards the listener, a {@code Host} that does not name it (a DNS-rebound page).
   */
  private boolean sameSite(Exchange exchange) throws IOException {
    return accepted(exchange, crossSite.pageOrForeignHost(exchange.request));
  }

  private boolean jsonBody(Exchange exchange) throws IOException {
    return accepted(exchange, CrossSiteRules.notJson(exchange.request));
  }

  private boolean accepted(Exchange exchange, CrossSiteRules.Refusal refusal) throws IOException {
    if (refusal == null) {
      return true;
    }
    error(exchange, refusal.status(), refusal.code(), refusal.message());
    return false;
  }

  private static String printable(String text) {
    String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  /** One request and its answer, with the response headers set so far. */
  private static final class Exchange {
    final Request request;
    final Response response;
    final Map<String, String> headers = new LinkedHashMap<>();

    Exchange(Request request, Response response) {
      this.request = request;
      this.response = response;
    }

    void respond(int status, String contentType, byte[] body) {
      response.send(status, headers, contentType, body);
    }
  }

  private boolean requireMethod(Exchange exchange, String method, String expected) throws IOException {
    if (method.equals(expected) || (expected.equals("GET") && method.equals("HEAD"))) {
      return true;
    }
    exchange.headers.put("Allow", expected);
    error(exchange, 405, Errors.METHOD_NOT_ALLOWED, "use " + expected);
    return false;
  }

  private boolean authorized(Exchange exchange) throws IOException {
    if (token == null) {
      return true;
    }
    String header = exchange.request.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && MessageDigest.isEqual(token, header.substring(7).trim().getBytes(StandardCharsets.UTF_8))) {
      return true;
    }
    exchange.headers.put("WWW-Authenticate", "Bearer realm=\"myxi-admin\"");
    error(exchange, 401, Errors.UNAUTHORIZED, "a valid bearer token (admin.token) is required");
    return false;
  }

  // ---------------------------------------------------------------- publish

  private record Event(String exchange, String routingKey, String event, JsonNode payload) {}

  private void publish(Exchange exchange) throws IOException {
    byte[] body = exchange.request.body(); // At most MAX_BODY_BYTES: AdminHttp answers 413 past it.
    JsonNode root;
    try {
      root = mapper.readTree(body);
    } catch (IOException e) {
      error(exchange, 400, Errors.INVALID_JSON, "the body is not JSON");
      return;
    }
    List<JsonNode> items = new ArrayList<>();
    if (root != null && root.isObject()) {
      items.add(root);
    } else if (root != null && root.isArray() && root.size() > 0 && root.size() <= MAX_BATCH) {
      root.forEach(items::add);
    } else {
      error(exchange, 400, Errors.INVALID_JSON, "expected {exchange, routing_key, event, payload} or a list of 1 to " + MAX_BATCH + " of them");
      return;
    }
    // Check the whole batch first, so a bad item publishes nothing.
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      String problem = null;
      String code = null;
      if (!item.isObject()) {
        code = Errors.INVALID_JSON;
        problem = "not an object";
      } else if (!item.path("exchange").isTextual() || myxi.exchange(item.get("exchange").textValue()).isEmpty()) {
        code = Errors.INVALID_EXCHANGE;
        problem = "exchange must name a configured exchange";
      } else if (routingKey(item.get("routing_key")) == null) {
        code = Errors.INVALID_ROUTING_KEY;
        problem = "routing_key must be a string or number of at most 255 bytes";
      } else if (!item.path("event").isTextual() || item.get("event").textValue().isEmpty()) {
        code = Errors.INVALID_EVENT;
        problem = "event must be a non-empty string";
      }
      if (problem != null) {
        ObjectNode answer = errorBody(code, (root.isArray() ? "item " + i + ": " : "") + problem);
        if (root.isArray()) {
          answer.put("index", i);
        }
        json(exchange, 400, answer);
        return;
      }
      JsonNode payload = item.get("payload");
      events.add(new Event(item.get("exchange").textValue(), routingKey(item.get("routing_key")), item.get("event").textValue(), payload == null ? mapper.nullNode() : payload));
    }
    int published = 0;
    for (Event event : events) {
      long start = System.nanoTime();
      try {
        myxi.pushEvent(event.exchange, event.routingKey, event.event, event.payload);
        metrics.recordPublish(Duration.ofNanos(System.nanoTime() - start), true);
        published++;
      } catch (PublishException e) {
        metrics.recordPublish(Duration.ofNanos(System.nanoTime() - start), false);
        log.warn("Admin publish to {} / {} failed: {}", event.exchange, event.routingKey, e.getMessage());
        ObjectNode answer = errorBody(Errors.BROKER_UNAVAILABLE, "RabbitMQ did not confirm the event: " + e.getMessage());
        answer.put("published", published);
        exchange.headers.put("Retry-After", "1");
        json(exchange, 503, answer);
        return;
      }
    }
    json(exchange, 202, mapper.createObjectNode().put("published", published));
  }

  private static String routingKey(JsonNode node) {
    if (node == null || !(node.isTextual() || node.isIntegralNumber())) {
      return null;
    }
    String text = node.isTextual() ? node.textValue() : node.bigIntegerValue().toString();
    return text.getBytes(StandardCharsets.UTF_8).length <= 255 ? text : null;
  }

  // ---------------------------------------------------------------- status

  private ObjectNode status() {
    NodeStats stats = server.stats();
    ObjectNode status = mapper.createObjectNode();
    status.put("node_id", stats.nodeId());
    status.put("version", Version.get());
    status.put("started_at", stats.startedAt().toString());
    status.put("uptime_seconds", Duration.between(stats.startedAt(), Instant.now()).toSeconds());
    status.put("ready", server.isReady());
    ObjectNode broker = status.putObject("broker");
    broker.put("connected", stats.brokerConnected());
    broker.put("description", myxi.broker().describe());
    broker.put("queue", stats.queueName());
    broker.put("exchange_prefix", myxi.exchangePrefix());
    status.put("port", server.port());
    status.put("tls", config.isSet(ConfigKeys.TLS_CERT_FILE) || config.isSet(ConfigKeys.TLS_KEYSTORE_FILE));
    status.put("sessions", stats.sessions());
    status.put("authenticated_sessions", stats.authenticatedSessions());
    status.put("subscriptions", stats.subscriptions());
    status.put("bindings", stats.bindings());
    status.put("deliveries_received", stats.deliveriesReceived());
    status.put("events_encoded", stats.eventsEncoded());
    status.put("frames_sent", stats.framesSent());
    status.put("recoveries", stats.recoveries());
    status.set("deliveries_dropped", mapper.valueToTree(stats.deliveriesDropped()));
    status.set("errors_sent", mapper.valueToTree(stats.errorsSent()));
    status.set("closes", mapper.valueToTree(stats.closes()));
    ArrayNode exchanges = status.putArray("exchanges");
    myxi.exchanges().forEach(definition -> exchanges.add(definition.name()));
    return status;
  }

  // ---------------------------------------------------------------- responses

  private void serveClient(Exchange exchange, String resource) throws IOException {
    ClassLoader loader = Thread.currentThread().getContextClassLoader() != null ? Thread.currentThread().getContextClassLoader() : AdminServer.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        error(exchange, 404, Errors.NOT_FOUND, "this build has no browser client");
        return;
      }
      exchange.headers.put("Cache-Control", "no-cache");
      send(exchange, 200, "application/javascript; charset=utf-8", in.readAllBytes());
    }
  }

  private ObjectNode errorBody(String code, String message) {
    return mapper.createObjectNode().put("error", code).put("message", message);
  }

  private void error(Exchange exchange, int status, String code, String message) throws IOException {
    json(exchange, status, errorBody(code, message));
  }

  private void json(Exchange exchange, int status, JsonNode body) throws IOException {
    send(exchange, status, "application/json", mapper.writeValueAsBytes(body));
  }

  private byte[] errorBytes(String code, String message) {
    try {
      return mapper.writeValueAsBytes(errorBody(code, message));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(Exchange exchange, int status, String contentType, byte[] body) {
    exchange.respond(status, contentType, body);
  }
}
