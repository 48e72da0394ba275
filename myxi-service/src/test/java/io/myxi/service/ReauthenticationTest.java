package io.myxi.service;

import static io.myxi.service.NodeHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 1 on the runnable server: a second Authenticate re-checks the subscriptions at
 * once, a refused one logs the session out, and Logout ends the login and its token state.
 */
class ReauthenticationTest {
  private final NodeHarness harness = new NodeHarness();

  @AfterEach
  void tearDown() {
    harness.close();
  }

  private static String event(JsonNode frame) {
    return frame.path("event").asText();
  }

  private static Map<String, Object> subscription(String exchange, String key) {
    return Map.of("exchange", exchange, "routing_key", key);
  }

  @Test
  void authenticating_as_bob_revokes_alices_grants_before_the_next_action() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "users=token,news=public"));
    TestClient client = harness.connect(node);
    assertThat(event(client.call("Authenticate", Map.of("token", token("alice", "users:alice"))))).isEqualTo("Authenticated");
    assertThat(event(client.call("Subscribe", subscription("users", "alice")))).isEqualTo("Subscribed");

    int tag = client.action("Authenticate", Map.of("token", token("bob", "users:bob")));
    assertThat(event(client.nextWithTag(tag))).isEqualTo("Authenticated");
    JsonNode revoked = client.next();
    assertThat(event(revoked)).isEqualTo("Unsubscribed");
    assertThat(revoked.path("payload").path("auto").asBoolean()).isTrue();
    node.server().myxi().pushEvent("users", "alice", "ForAlice", Map.of());
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void a_refused_re_authentication_logs_the_session_out() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "users=token,inbox=authenticated,news=public"));
    TestClient client = harness.connect(node);
    client.call("Authenticate", Map.of("token", token("alice", "users:alice")));
    assertThat(event(client.call("Subscribe", subscription("users", "alice")))).isEqualTo("Subscribed");
    assertThat(event(client.call("Subscribe", subscription("inbox", "alice")))).isEqualTo("Subscribed");
    assertThat(event(client.call("Subscribe", subscription("news", "all")))).isEqualTo("Subscribed");

    int tag = client.action("Authenticate", Map.of("token", "not-a-token"));
    assertThat(client.nextWithTag(tag).path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
    assertThat(event(client.next())).isEqualTo("Unsubscribed");
    assertThat(event(client.next())).isEqualTo("Unsubscribed");
    assertThat(client.call("ListSubscriptions", null).path("payload").path("subscriptions").toString()).isEqualTo("{\"news\":[\"all\"]}");
    assertThat(node.server().stats().authenticatedSessions()).isZero();
  }

  @Test
  void logout_ends_the_login_and_no_expiry_follows_it() throws Exception {
    StandaloneNode node = harness.start(Map.of("exchanges", "users=token"));
    TestClient client = harness.connect(node);
    client.call("Authenticate", Map.of("token", token("alice", java.time.Instant.now().plusSeconds(2), "users:alice")));
    assertThat(event(client.call("Subscribe", subscription("users", "alice")))).isEqualTo("Subscribed");
    int tag = client.action("Logout", null);
    assertThat(event(client.nextWithTag(tag))).isEqualTo("LoggedOut");
    assertThat(event(client.next())).isEqualTo("Unsubscribed");
    assertThat(node.server().stats().authenticatedSessions()).isZero();
    // The token's expiry was cancelled with the login: no AuthenticationExpired after a logout.
    assertThat(client.poll(Duration.ofMillis(2500))).isNull();
  }
}
