package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.myxi.testing.TestClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The http access rule against a real application (a local HTTP server) and the real RabbitMQ. */
class HttpRuleTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final NodeHarness harness = new NodeHarness();
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService appThreads = Executors.newCachedThreadPool();
  private HttpServer app;

  @AfterEach
  void tearDown() {
    release.countDown();
    harness.close();
    if (app != null) {
      app.stop(0);
    }
    appThreads.shutdownNow();
  }

  private static String tenantToken(String user, String tenant) {
    return JWT.create().withSubject(user).withExpiresAt(Instant.now().plusSeconds(600)).withClaim("tenant", tenant)
        .sign(Algorithm.HMAC256(NodeHarness.SECRET.getBytes(StandardCharsets.UTF_8)));
  }

  private String startApp(com.sun.net.httpserver.HttpHandler handler) throws Exception {
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    app.setExecutor(appThreads);
    app.createContext("/authorize", handler);
    app.start();
    return "http://127.0.0.1:" + app.getAddress().getPort() + "/authorize";
  }

  private static Map<String, Object> subscription(String exchange, String key) {
    return Map.of("exchange", exchange, "routing_key", key);
  }

  @Test
  void a_cached_answer_for_one_tenant_is_not_served_to_the_same_user_of_another_tenant() throws Exception {
    BlockingQueue<String> asked = new LinkedBlockingQueue<>();
    String url = startApp(exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        JsonNode body = MAPPER.readTree(in.readAllBytes());
        String tenant = body.path("claims").path("tenant").asText();
        asked.add(tenant);
        exchange.sendResponseHeaders(tenant.equals("A") ? 204 : 403, -1);
      }
    });
    StandaloneNode node = harness.start(Map.of("exchanges", "orders=http", "authorization.url", url, "authorization.cache_ttl", "1m"));
    TestClient inTenantA = harness.connect(node);
    TestClient inTenantB = harness.connect(node);
    String tokenInA = tenantToken("42", "A");
    assertThat(inTenantA.call("Authenticate", Map.of("token", tokenInA)).path("event").asText()).isEqualTo("Authenticated");
    assertThat(inTenantB.call("Authenticate", Map.of("token", tenantToken("42", "B"))).path("event").asText()).isEqualTo("Authenticated");

    assertThat(inTenantA.call("Subscribe", subscription("orders", "7")).path("event").asText()).isEqualTo("Subscribed");
    JsonNode tenantB = inTenantB.call("Subscribe", subscription("orders", "7"));
    assertThat(tenantB.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(List.of(asked.poll(5, TimeUnit.SECONDS), asked.poll(5, TimeUnit.SECONDS))).containsExactly("A", "B");

    // The same claims again (the same token, so the same exp): the cache still answers (no third call).
    TestClient againInA = harness.connect(node);
    againInA.call("Authenticate", Map.of("token", tokenInA));
    assertThat(againInA.call("Subscribe", subscription("orders", "7")).path("event").asText()).isEqualTo("Subscribed");
    assertThat(asked).isEmpty();
  }

  @Test
  void routing_keys_with_nul_do_not_share_a_cache_entry_with_other_users() {
    HttpRule.CacheKey first = new HttpRule.CacheKey("a\u0000b", "", "orders", "c");
    HttpRule.CacheKey second = new HttpRule.CacheKey("a", "", "orders", "b\u0000c");
    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void an_application_that_trickles_its_body_is_cut_off_at_the_rules_timeout() throws Exception {
    String url = startApp(exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
        exchange.sendResponseHeaders(200, 0); // Chunked: headers now, the body never ends.
        OutputStream out = exchange.getResponseBody();
        out.write('{');
        out.flush();
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    StandaloneNode node = harness.start(Map.of("exchanges", "orders=http", "authorization.url", url, "authorization.timeout", "1s"));
    TestClient client = harness.connect(node);
    long started = System.nanoTime();
    JsonNode answer = client.call("Subscribe", subscription("orders", "7"));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf("{\"figure\":\"http_rule_trickling_body_denied_after_ms\",\"timeout_ms\":1000,\"took_ms\":%d}%n", took.toMillis());
    assertThat(answer.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(4));
  }
}
