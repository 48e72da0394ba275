package io.myxi.service;

import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.myxi.MyxiSetup;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Starts in-process standalone nodes on ephemeral ports against the test RabbitMQ, and cleans up. */
final class NodeHarness implements AutoCloseable {
  static final String SECRET = "test-secret-0123456789abcdef-0123456789";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final String prefix = RabbitMqFixture.unique("standalone") + ".";
  final List<StandaloneNode> nodes = new ArrayList<>();
  final List<TestClient> clients = new ArrayList<>();

  StandaloneNode start(Map<String, String> flags, MyxiSetup... setups) throws Exception {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("port", "0");
    all.put("bind_address", "127.0.0.1");
    all.put("admin.port", "0");
    all.put("broker.url", RabbitMqFixture.uri());
    all.put("exchange_prefix", prefix);
    all.put("auth.secret", SECRET);
    all.put("auth.leeway", "0s");
    all.put("shutdown_window", "0s");
    all.put("touch_interval", "0s");
    all.putAll(flags);
    Config config = ConfigLoader.load(null, Map.of(), all);
    StandaloneNode node = new StandaloneNode(config, List.of(setups));
    nodes.add(node);
    node.start();
    // A test that names its own broker (an absent or a silent one) does not wait for readiness.
    if (!flags.containsKey("broker.url")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> node.server().isReady());
    }
    return node;
  }

  TestClient connect(StandaloneNode node) {
    TestClient client = TestClient.connect(node.port());
    clients.add(client);
    return client;
  }

  static String token(String user, Instant expiresAt, String... grants) {
    return JWT.create().withSubject(user).withExpiresAt(expiresAt).withArrayClaim("grants", grants).sign(Algorithm.HMAC256(SECRET.getBytes(StandardCharsets.UTF_8)));
  }

  static String token(String user, String... grants) {
    return token(user, Instant.now().plusSeconds(600), grants);
  }

  static HttpResponse<String> get(StandaloneNode node, String path, String bearer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path)).timeout(Duration.ofSeconds(10)).GET();
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(StandaloneNode node, String path, String body, String bearer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    clients.forEach(TestClient::close);
    nodes.forEach(StandaloneNode::stop);
  }
}
