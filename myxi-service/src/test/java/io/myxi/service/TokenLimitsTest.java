package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.testing.LogCapture;
import io.myxi.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** auth.max_lifetime and the throttled log of refused tokens, on a real node. */
class TokenLimitsTest {
  private static final Algorithm SIGNER = Algorithm.HMAC256(NodeHarness.SECRET.getBytes(StandardCharsets.UTF_8));
  private final NodeHarness harness = new NodeHarness();

  @AfterEach
  void tearDown() {
    harness.close();
  }

  private static JsonNode authenticate(TestClient client, String token) {
    return client.call("Authenticate", Map.of("token", token));
  }

  @Test
  void tokens_living_longer_than_max_lifetime_are_refused() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "auth.max_lifetime", "1h"));
    TestClient client = harness.connect(node);
    Instant now = Instant.now();
    Instant year2500 = ZonedDateTime.of(2500, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    String noIat = JWT.create().withSubject("alice").withExpiresAt(year2500).sign(SIGNER);
    String longIat = JWT.create().withSubject("alice").withIssuedAt(now).withExpiresAt(now.plusSeconds(7200)).sign(SIGNER);
    String shortNoIat = JWT.create().withSubject("alice").withExpiresAt(now.plusSeconds(1800)).sign(SIGNER);
    String shortIat = JWT.create().withSubject("alice").withIssuedAt(now).withExpiresAt(now.plusSeconds(3600)).sign(SIGNER);
    for (String refused : new String[] {noIat, longIat}) {
      JsonNode answer = authenticate(client, refused);
      assertThat(answer.path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
      assertThat(answer.path("payload").path("reason").asText()).isEqualTo("invalid");
    }
    assertThat(authenticate(client, shortNoIat).path("event").asText()).isEqualTo("Authenticated");
    assertThat(authenticate(client, shortIat).path("event").asText()).isEqualTo("Authenticated");
  }

  @Test
  void without_max_lifetime_a_far_expiry_is_still_accepted() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient client = harness.connect(node);
    String far = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(86_400L * 365 * 100)).sign(SIGNER);
    assertThat(authenticate(client, far).path("event").asText()).isEqualTo("Authenticated");
  }

  @Test
  void refused_tokens_are_counted_and_logged_as_one_summary_line() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public"));
    TestClient client = harness.connect(node);
    String wrongKey = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(60)).sign(Algorithm.HMAC256("another-secret-0123456789abcdef-0123".getBytes(StandardCharsets.UTF_8)));
    String expired = NodeHarness.token("alice", Instant.now().minusSeconds(60));
    try (LogCapture logs = LogCapture.start()) {
      for (int i = 0; i < 30; i++) {
        authenticate(client, i % 3 == 0 ? expired : wrongKey);
      }
      authenticate(client, "not a jwt");
      assertThat(logs.text()).doesNotContain("token refused");
      String summary = node.tokenAuth().logRefusalSummary();
      assertThat(summary).isEqualTo("Refused 31 session tokens since the last summary: JWTDecodeException x1; SignatureVerificationException x20; token expired x10");
      assertThat(logs.lines().stream().filter(line -> line.contains("Refused")).count()).isEqualTo(1);
      assertThat(node.tokenAuth().logRefusalSummary()).isNull();
    }
  }
}
