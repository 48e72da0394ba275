package io.myxi.service;

import static io.myxi.service.NodeHarness.get;
import static io.myxi.service.NodeHarness.post;
import static io.myxi.service.NodeHarness.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.myxi.MyxiSetup;
import io.myxi.Session;
import io.myxi.testing.TestClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runnable server's node, in process, against the real RabbitMQ. */
class StandaloneNodeTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final NodeHarness harness = new NodeHarness();
  private HttpServer app;

  @AfterEach
  void tearDown() {
    harness.close();
    if (app != null) {
      app.stop(0);
    }
  }

  private static String event(JsonNode frame) {
    return frame.path("event").asText();
  }

  private static String error(JsonNode frame) {
    return frame.path("payload").path("error").asText();
  }

  private static JsonNode authenticate(TestClient client, String token) {
    return client.call("Authenticate", Map.of("token", token));
  }

  private static Map<String, Object> subscription(String exchange, String key) {
    return Map.of("exchange", exchange, "routing_key", key);
  }

  @Test
  void token_rule_allows_what_the_grants_name_and_events_published_through_the_admin_api_arrive() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "widgets=token,news=public,inbox=authenticated"));
    TestClient alice = harness.connect(node);
    assertThat(event(alice.call("Subscribe", subscription("widgets", "12")))).isEqualTo("Error");

    JsonNode authenticated = authenticate(alice, token("alice", "widgets:1*", "users:alice"));
    assertThat(event(authenticated)).isEqualTo("Authenticated");
    assertThat(authenticated.path("payload").path("user").asText()).isEqualTo("alice");
    assertThat(authenticated.path("payload").path("expires_at").asLong()).isGreaterThan(Instant.now().getEpochSecond());

    assertThat(event(alice.call("Subscribe", subscription("widgets", "12")))).isEqualTo("Subscribed");
    JsonNode denied = alice.call("Subscribe", subscription("widgets", "21"));
    assertThat(error(denied)).isEqualTo("SubscriptionDenied");
    assertThat(event(alice.call("Subscribe", subscription("inbox", "alice")))).isEqualTo("Subscribed");
    assertThat(event(alice.call("Subscribe", subscription("news", "all")))).isEqualTo("Subscribed");

    HttpResponse<String> published = post(node, "/publish",
        "{\"exchange\":\"widgets\",\"routing_key\":\"12\",\"event\":\"WidgetUpdated\",\"payload\":{\"name\":\"Bolt\"}}", null);
    assertThat(published.statusCode()).isEqualTo(202);
    assertThat(MAPPER.readTree(published.body()).path("published").asInt()).isEqualTo(1);
    JsonNode delivered = alice.nextEvent("WidgetUpdated");
    assertThat(delivered.path("payload").path("name").asText()).isEqualTo("Bolt");
    assertThat(delivered.path("mq").path("e").asText()).isEqualTo("widgets");
    assertThat(delivered.path("mq").path("rk").asText()).isEqualTo("12");

    HttpResponse<String> batch = post(node, "/publish",
        "[{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"A\"},{\"exchange\":\"inbox\",\"routing_key\":\"alice\",\"event\":\"B\",\"payload\":[1]}]", null);
    assertThat(batch.statusCode()).isEqualTo(202);
    assertThat(MAPPER.readTree(batch.body()).path("published").asInt()).isEqualTo(2);
    assertThat(alice.nextEvent("A").path("payload").isNull()).isTrue();
    assertThat(alice.nextEvent("B").path("payload").get(0).asInt()).isEqualTo(1);
  }

  @Test
  void expired_forged_and_malformed_tokens_are_invalid_authentication() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "widgets=token"));
    TestClient client = harness.connect(node);

    JsonNode expired = authenticate(client, token("alice", Instant.now().minusSeconds(60), "widgets:*"));
    assertThat(error(expired)).isEqualTo("InvalidAuthentication");
    assertThat(expired.path("payload").path("reason").asText()).isEqualTo("expired");

    String forged = com.auth0.jwt.JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(60)).withArrayClaim("grants", new String[] {"widgets:*"})
        .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256("another-secret-0123456789abcdef-0123456789"));
    JsonNode forgedReply = authenticate(client, forged);
    assertThat(error(forgedReply)).isEqualTo("InvalidAuthentication");
    assertThat(forgedReply.path("payload").path("reason").asText()).isEqualTo("invalid");

    String withoutExp = com.auth0.jwt.JWT.create().withSubject("alice").sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(NodeHarness.SECRET));
    assertThat(error(authenticate(client, withoutExp))).isEqualTo("InvalidAuthentication");
    assertThat(error(authenticate(client, "not.a.token"))).isEqualTo("InvalidAuthentication");
    assertThat(error(client.call("Authenticate", Map.of()))).isEqualTo("InvalidAuthentication");
    String badGrants = com.auth0.jwt.JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(60)).withClaim("grants", "widgets:*")
        .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(NodeHarness.SECRET));
    assertThat(error(authenticate(client, badGrants))).isEqualTo("InvalidAuthentication");

    assertThat(error(client.call("Subscribe", subscription("widgets", "1")))).isEqualTo("SubscriptionDenied");
    assertThat(node.server().stats().authenticatedSessions()).isZero();
  }

  @Test
  void when_the_token_expires_the_session_loses_its_authentication_and_subscriptions_that_need_it() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "widgets=token,inbox=authenticated,news=public"));
    TestClient client = harness.connect(node);
    assertThat(event(authenticate(client, token("alice", Instant.now().plusSeconds(2), "widgets:*")))).isEqualTo("Authenticated");
    assertThat(event(client.call("Subscribe", subscription("widgets", "1")))).isEqualTo("Subscribed");
    assertThat(event(client.call("Subscribe", subscription("inbox", "alice")))).isEqualTo("Subscribed");
    assertThat(event(client.call("Subscribe", subscription("news", "all")))).isEqualTo("Subscribed");

    assertThat(client.nextEvent("AuthenticationExpired").has("tag")).isFalse();
    JsonNode first = client.nextEvent("Unsubscribed");
    JsonNode second = client.nextEvent("Unsubscribed");
    assertThat(List.of(first, second)).allSatisfy(frame -> assertThat(frame.path("payload").path("auto").asBoolean()).isTrue());
    assertThat(List.of(first.path("payload").path("exchange").asText(), second.path("payload").path("exchange").asText())).containsExactlyInAnyOrder("widgets", "inbox");
    JsonNode remaining = client.call("ListSubscriptions", null);
    assertThat(remaining.path("payload").path("subscriptions").toString()).isEqualTo("{\"news\":[\"all\"]}");
    assertThat(node.server().stats().authenticatedSessions()).isZero();
  }

  @Test
  void a_token_expiring_while_an_action_runs_takes_effect_after_it_in_the_sessions_order() throws Exception {
    // An action that holds the session's lane past the token's expiry, and reports whether the
    // session was authenticated when it started and when it ended.
    MyxiSetup holding = builder -> builder.action("Hold", request -> {
      Session session = request.session();
      boolean before = session.isAuthenticated();
      @SuppressWarnings("unchecked")
      Map<String, Object> claims = (Map<String, Object>) session.attribute(TokenAuth.CLAIMS_ATTRIBUTE);
      long expiresMillis = ((Number) claims.get("exp")).longValue() * 1000;
      await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > expiresMillis + 500);
      request.reply("Held", Map.of("before", before, "after", session.isAuthenticated()));
    });
    StandaloneNode node = harness.start(Map.of("exchanges", "widgets=token"), holding);
    TestClient client = harness.connect(node);
    assertThat(event(authenticate(client, token("alice", Instant.now().plusSeconds(2), "widgets:*")))).isEqualTo("Authenticated");
    assertThat(event(client.call("Subscribe", subscription("widgets", "1")))).isEqualTo("Subscribed");

    JsonNode held = client.call("Hold", null);
    assertThat(event(held)).isEqualTo("Held");
    assertThat(held.path("payload").path("before").asBoolean()).isTrue();
    assertThat(held.path("payload").path("after").asBoolean()).as("the expiry waited for the running action").isTrue();
    // Then the expiry runs, in order: logged out, and the token-granted subscription revoked.
    client.nextEvent("AuthenticationExpired");
    assertThat(client.nextEvent("Unsubscribed").path("payload").path("auto").asBoolean()).isTrue();
    assertThat(node.server().stats().authenticatedSessions()).isZero();
  }

  @Test
  void authenticating_again_with_a_fresh_token_keeps_the_session_past_the_first_expiry() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "widgets=token"));
    TestClient client = harness.connect(node);
    // exp is in whole seconds, so "now + 2 s" expires 1 to 2 s from now: time enough to re-authenticate.
    assertThat(event(authenticate(client, token("alice", Instant.now().plusSeconds(2), "widgets:*")))).isEqualTo("Authenticated");
    assertThat(event(client.call("Subscribe", subscription("widgets", "1")))).isEqualTo("Subscribed");
    assertThat(event(authenticate(client, token("alice", Instant.now().plusSeconds(600), "widgets:*")))).isEqualTo("Authenticated");
    // Past the first token's expiry, nothing is revoked and nothing is sent.
    assertThat(client.poll(Duration.ofMillis(2500))).isNull();
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
    assertThat(node.server().stats().authenticatedSessions()).isEqualTo(1);
  }

  @Test
  void http_rule_posts_user_claims_exchange_and_key_and_2xx_allows() throws Exception {
    BlockingQueue<JsonNode> asked = new LinkedBlockingQueue<>();
    BlockingQueue<String> authorization = new LinkedBlockingQueue<>();
    CountDownLatch releaseSlow = new CountDownLatch(1);
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    app.setExecutor(Executors.newCachedThreadPool());
    app.createContext("/authorize", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        JsonNode body = MAPPER.readTree(in.readAllBytes());
        asked.add(body);
        authorization.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        String key = body.path("routing_key").asText();
        if (key.startsWith("slow")) {
          releaseSlow.await(10, TimeUnit.SECONDS);
        }
        exchange.sendResponseHeaders(key.startsWith("ok") ? 204 : 403, -1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    app.start();
    String url = "http://127.0.0.1:" + app.getAddress().getPort() + "/authorize";
    try {
      StandaloneNode node = harness.start(Map.of("exchanges", "orders=http,news=public", "authorization.url", url,
          "authorization.timeout", "500ms", "authorization.token", "app-callback-token"));
      TestClient alice = harness.connect(node);
      authenticate(alice, token("alice", "orders:*"));

      assertThat(event(alice.call("Subscribe", subscription("orders", "ok-1")))).isEqualTo("Subscribed");
      JsonNode body = asked.poll(5, TimeUnit.SECONDS);
      assertThat(body.path("user").asText()).isEqualTo("alice");
      assertThat(body.path("exchange").asText()).isEqualTo("orders");
      assertThat(body.path("routing_key").asText()).isEqualTo("ok-1");
      assertThat(body.path("claims").path("sub").asText()).isEqualTo("alice");
      assertThat(body.path("claims").path("grants").get(0).asText()).isEqualTo("orders:*");
      assertThat(authorization.poll(5, TimeUnit.SECONDS)).isEqualTo("Bearer app-callback-token");

      assertThat(error(alice.call("Subscribe", subscription("orders", "no-1")))).isEqualTo("SubscriptionDenied");

      TestClient anonymous = harness.connect(node);
      assertThat(event(anonymous.call("Subscribe", subscription("orders", "ok-2")))).isEqualTo("Subscribed");
      asked.clear();

      // A slow application: that subscription waits (and is denied at the timeout); other sessions do not.
      int slowTag = alice.action("Subscribe", subscription("orders", "slow-1"));
      assertThat(event(anonymous.call("Subscribe", subscription("news", "all")))).isEqualTo("Subscribed");
      assertThat(event(anonymous.call("Ping", null))).isEqualTo("Pong");
      JsonNode slow = alice.nextWithTag(slowTag);
      assertThat(error(slow)).isEqualTo("SubscriptionDenied");
    } finally {
      releaseSlow.countDown();
    }
  }

  @Test
  void http_rule_answers_are_cached_for_the_configured_time() throws Exception {
    BlockingQueue<String> asked = new LinkedBlockingQueue<>();
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    app.createContext("/authorize", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        asked.add(MAPPER.readTree(in.readAllBytes()).path("routing_key").asText());
        exchange.sendResponseHeaders(200, -1);
      }
    });
    app.start();
    StandaloneNode node = harness.start(Map.of("exchanges", "orders=http", "authorization.url", "http://127.0.0.1:" + app.getAddress().getPort() + "/authorize",
        "authorization.cache_ttl", "1m"));
    TestClient alice = harness.connect(node);
    authenticate(alice, token("alice"));
    assertThat(event(alice.call("Subscribe", subscription("orders", "7")))).isEqualTo("Subscribed");
    alice.call("Unsubscribe", subscription("orders", "7"));
    assertThat(event(alice.call("Subscribe", subscription("orders", "7")))).isEqualTo("Subscribed");
    node.server().reauthorizeAll(Duration.ofSeconds(5));
    assertThat(asked.poll(5, TimeUnit.SECONDS)).isEqualTo("7");
    assertThat(asked).isEmpty();
  }

  @Test
  void admin_api_refuses_bad_input_with_json_errors_and_publishes_nothing_of_a_bad_batch() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient client = harness.connect(node);
    client.call("Subscribe", subscription("news", "all"));
    Map<String, String> cases = Map.of(
        "not json", "InvalidJSON",
        "[]", "InvalidJSON",
        "{\"exchange\":\"nope\",\"routing_key\":\"all\",\"event\":\"E\"}", "InvalidExchange",
        "{\"exchange\":\"news\",\"event\":\"E\"}", "InvalidRoutingKey",
        "{\"exchange\":\"news\",\"routing_key\":{},\"event\":\"E\"}", "InvalidRoutingKey",
        "{\"exchange\":\"news\",\"routing_key\":\"all\"}", "InvalidEvent",
        "[{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"Good\"},{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"\"}]", "InvalidEvent");
    for (Map.Entry<String, String> entry : cases.entrySet()) {
      HttpResponse<String> response = post(node, "/publish", entry.getKey(), null);
      assertThat(response.statusCode()).as(entry.getKey()).isEqualTo(400);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode body = MAPPER.readTree(response.body());
      assertThat(body.path("error").asText()).as(entry.getKey()).isEqualTo(entry.getValue());
      assertThat(body.path("message").asText()).isNotEmpty();
    }
    assertThat(client.poll(Duration.ofMillis(300))).as("nothing of the bad batch was published").isNull();
    assertThat(post(node, "/publish", "{\"exchange\":\"news\",\"routing_key\":7,\"event\":\"Numbered\"}", null).statusCode()).isEqualTo(202);
    assertThat(get(node, "/publish", null).statusCode()).isEqualTo(405);
    assertThat(MAPPER.readTree(get(node, "/nope", null).body()).path("error").asText()).isEqualTo("NotFound");
    assertThat(get(node, "/health", null).statusCode()).isEqualTo(200);
    assertThat(get(node, "/ready", null).statusCode()).isEqualTo(200);
    assertThat(statusOfOversizedPublish(node)).isEqualTo("413");
  }

  /**
   * The status of a publish announcing a body over the limit. Sent by hand, headers only: the
   * listener answers 413 and closes without reading the body, and an HTTP client still writing
   * that body would see the close as its own failure instead of the answer.
   */
  private static String statusOfOversizedPublish(StandaloneNode node) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.adminPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /publish HTTP/1.1\r\nHost: 127.0.0.1:" + node.adminPort() + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + (AdminServer.MAX_BODY_BYTES + 1) + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      return statusLine == null ? "closed without an answer" : statusLine.split(" ")[1];
    }
  }

  @Test
  void admin_token_is_required_when_configured_except_for_probes() throws Exception {
    String adminToken = "admin-token-0123456789";
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "admin.token", adminToken, "admin.require_token", "true"));
    String publish = "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"E\"}";
    HttpResponse<String> refused = post(node, "/publish", publish, null);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(MAPPER.readTree(refused.body()).path("error").asText()).isEqualTo("Unauthorized");
    assertThat(post(node, "/publish", publish, "wrong-token-0123456789").statusCode()).isEqualTo(401);
    assertThat(post(node, "/publish", publish, adminToken).statusCode()).isEqualTo(202);
    assertThat(get(node, "/status", null).statusCode()).isEqualTo(401);
    assertThat(get(node, "/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get(node, "/status", adminToken).statusCode()).isEqualTo(200);
    assertThat(get(node, "/health", null).statusCode()).isEqualTo(200);
    assertThat(get(node, "/ready", null).statusCode()).isEqualTo(200);
  }

  @Test
  void status_and_metrics_report_the_node() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public,widgets=token"));
    TestClient client = harness.connect(node);
    authenticate(client, token("alice", "widgets:*"));
    client.call("Subscribe", subscription("news", "all"));
    client.call("Subscribe", subscription("widgets", "nope-not-granted-but-glob-allows"));
    client.call("Subscribe", subscription("unknown", "x"));
    assertThat(post(node, "/publish", "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"E\"}", null).statusCode()).isEqualTo(202);
    client.nextEvent("E");

    JsonNode status = MAPPER.readTree(get(node, "/status", null).body());
    assertThat(status.path("node_id").asText()).isEqualTo(node.server().nodeId());
    assertThat(status.path("version").asText()).isNotEmpty();
    assertThat(status.path("uptime_seconds").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(status.path("broker").path("connected").asBoolean()).isTrue();
    assertThat(status.path("broker").path("description").asText()).doesNotContain("guest:guest");
    assertThat(status.path("sessions").asInt()).isEqualTo(1);
    assertThat(status.path("authenticated_sessions").asInt()).isEqualTo(1);
    assertThat(status.path("subscriptions").asInt()).isEqualTo(2);
    assertThat(status.path("bindings").asInt()).isEqualTo(2);
    assertThat(status.path("deliveries_received").asLong()).isEqualTo(1);
    assertThat(status.path("frames_sent").asLong()).isGreaterThanOrEqualTo(5);
    assertThat(status.path("errors_sent").path("InvalidExchange").asLong()).isEqualTo(1);

    HttpResponse<String> metrics = get(node, "/metrics", null);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    Map<String, Double> samples = PrometheusText.parse(metrics.body());
    assertThat(samples).containsEntry("myxi_sessions", 1.0)
        .containsEntry("myxi_sessions_authenticated", 1.0)
        .containsEntry("myxi_subscriptions", 2.0)
        .containsEntry("myxi_broker_connected", 1.0)
        .containsEntry("myxi_deliveries_received_total", 1.0)
        .containsEntry("myxi_publish_seconds_count{result=\"confirmed\"}", 1.0)
        .containsEntry("myxi_action_seconds_count{action=\"Authenticate\"}", 1.0)
        .containsEntry("myxi_errors_sent_total{code=\"InvalidExchange\"}", 1.0)
        .containsEntry("myxi_sessions_closed_total{reason=\"slow_consumer\"}", 0.0)
        .containsEntry("myxi_authorization_seconds_count{exchange=\"news\",result=\"allowed\",rule=\"public\"}", 1.0)
        .containsKey("myxi_deliveries_dropped_total{reason=\"no_subscribers\"}")
        .containsKey("myxi_deliveries_dropped_total{reason=\"invalid_body\"}");
    assertThat(samples.keySet()).anyMatch(name -> name.startsWith("jvm_memory_used_bytes{"));
  }

  @Test
  void publish_answers_503_and_ready_503_while_the_broker_is_unreachable() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "broker.url", "amqp://guest:guest@127.0.0.1:1/", "broker.publish_timeout", "300ms",
        "broker.connection_timeout", "300ms"));
    HttpResponse<String> response = post(node, "/publish", "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"E\"}", null);
    assertThat(response.statusCode()).isEqualTo(503);
    JsonNode body = MAPPER.readTree(response.body());
    assertThat(body.path("error").asText()).isEqualTo("BrokerUnavailable");
    assertThat(body.path("published").asInt()).isZero();
    assertThat(get(node, "/ready", null).statusCode()).isEqualTo(503);
    assertThat(get(node, "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void the_browser_client_is_served_when_the_build_has_it() throws Exception {
    StandaloneNode node = harness.start(Map.of());
    HttpResponse<String> response = get(node, "/myxi.js", null);
    assertThat(get(node, "/myxi.mjs", null).body()).contains("export {");
    InputStream resource = getClass().getClassLoader().getResourceAsStream(AdminServer.CLIENT_RESOURCE);
    if (resource == null) {
      assertThat(response.statusCode()).isEqualTo(404);
    } else {
      try (resource) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/javascript");
        assertThat(response.body()).isEqualTo(new String(resource.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(response.body()).contains("globalThis.Myxi");
      }
    }
  }

  @Test
  void application_setups_are_found_through_the_service_loader_and_share_the_registry() throws Exception {
    List<MyxiSetup> setups = StandaloneNode.discoverSetups(getClass().getClassLoader());
    assertThat(setups).hasAtLeastOneElementOfType(EchoSetup.class);
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"), setups.toArray(new MyxiSetup[0]));
    TestClient client = harness.connect(node);
    assertThat(error(client.call("Echo", Map.of("a", 1)))).isEqualTo("AuthRequired");
    authenticate(client, token("alice"));
    JsonNode echoed = client.call("Echo", Map.of("a", 1));
    assertThat(event(echoed)).isEqualTo("Echoed");
    assertThat(echoed.path("payload").path("user").asText()).isEqualTo("alice");
    assertThat(event(client.call("Subscribe", subscription("echo-own", "alice")))).isEqualTo("Subscribed");
    assertThat(error(client.call("Subscribe", subscription("echo-own", "bob")))).isEqualTo("SubscriptionDenied");
    assertThat(post(node, "/publish", "{\"exchange\":\"echo-own\",\"routing_key\":\"alice\",\"event\":\"Mine\"}", null).statusCode()).isEqualTo(202);
    client.nextEvent("Mine");
  }

  @Test
  void the_history_window_setting_reaches_the_built_server() throws Exception {
    StandaloneNode configured = harness.start(Map.of("broker.url", "in-process", "history.window", "1MiB"));
    StandaloneNode byDefault = harness.start(Map.of("broker.url", "in-process"));
    assertThat(historyWindowBytes(configured.server())).isEqualTo(1L << 20);
    assertThat(historyWindowBytes(byDefault.server())).isEqualTo(64L << 20);
  }

  /**
   * The window the node was built with. MyxiServer has no getter for it (the public API stays as
   * it is), so the test reads the engine's settings the builder handed over.
   */
  private static long historyWindowBytes(io.myxi.server.MyxiServer server) throws ReflectiveOperationException {
    java.lang.reflect.Field nodeField = io.myxi.server.MyxiServer.class.getDeclaredField("node");
    nodeField.setAccessible(true);
    Object node = nodeField.get(server);
    java.lang.reflect.Field settingsField = node.getClass().getDeclaredField("settings");
    settingsField.setAccessible(true);
    return ((io.myxi.server.internal.ServerSettings) settingsField.get(node)).historyWindowBytes();
  }

  @Test
  void a_setup_registering_a_name_twice_is_a_configuration_error() {
    MyxiSetup clash = builder -> builder.exchange("news", io.myxi.Authorizer.allowAll());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> harness.start(Map.of("exchanges", "news=public"), clash))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("exchange 'news' is already registered");
  }
}
