package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Authorizer;
import io.myxi.ErrorCodes;
import io.myxi.Myxi;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.testing.RabbitMqFixture;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authorization matrix (issue 4, item 14) on a RabbitMQ node, where one queue carries the
 * events of every session: each way of asking for what one may not have is denied, and over a
 * stream of events on many keys no session ever receives one it was not authorized for.
 */
class AuthorizationMatrixTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** token to (user, expiry) */
  private static final Map<String, Map.Entry<String, Instant>> TOKENS = Map.of(
      "alice-token", Map.entry("alice", Instant.now().plus(Duration.ofDays(1))),
      "bob-token", Map.entry("bob", Instant.now().plus(Duration.ofDays(1))),
      "alice-expired-token", Map.entry("alice", Instant.now().minus(Duration.ofMinutes(1))));

  private final Set<String> revocableAllowed = ConcurrentHashMap.newKeySet();
  private final List<TestClient> clients = new ArrayList<>();
  private RabbitMqBroker broker;
  private Myxi myxi;
  private MyxiServer server;

  @BeforeEach
  void start() {
    broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-authz-test")).build();
    broker.start();
    myxi = Myxi.builder()
        .broker(broker)
        .exchangePrefix(RabbitMqFixture.unique("authz") + ".")
        .action("Authenticate", request -> {
          Map.Entry<String, Instant> token = TOKENS.get(request.payload().path("token").asText());
          if (token == null || token.getValue().isBefore(Instant.now())) {
            request.error(ErrorCodes.INVALID_AUTHENTICATION);
          } else {
            request.session().setAuth(token.getKey());
            request.reply("Authenticated", Map.of("user", token.getKey()));
          }
        })
        .exchange("users", (session, key) -> session.auth(String.class).map(key::equals).orElse(false))
        .exchange("widgets", Authorizer.authenticated())
        .exchange("public", Authorizer.allowAll())
        .exchange("revocable", (session, key) -> revocableAllowed.contains(key))
        .build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ofMillis(300)).shutdownWindow(Duration.ZERO).build().start();
    await().atMost(WAIT).until(server::isReady);
  }

  @AfterEach
  void stop() {
    clients.forEach(TestClient::close);
    server.stop();
    myxi.close();
    broker.close();
  }

  private TestClient connect(String token) {
    TestClient client = TestClient.connect(server.port());
    clients.add(client);
    if (token != null) {
      assertThat(client.call("Authenticate", Map.of("token", token)).path("event").asText()).isEqualTo("Authenticated");
    }
    return client;
  }

  private static String error(JsonNode reply) {
    return reply.path("payload").path("error").asText();
  }

  private static JsonNode subscribe(TestClient client, String exchange, String key) {
    return client.call("Subscribe", Map.of("exchange", exchange, "routing_key", key));
  }

  @Test
  void every_way_of_asking_for_what_one_may_not_have_is_denied() {
    TestClient anonymous = connect(null);
    assertThat(error(subscribe(anonymous, "widgets", "1"))).as("before authenticating").isEqualTo("SubscriptionDenied");
    assertThat(error(subscribe(anonymous, "users", "alice"))).as("before authenticating").isEqualTo("SubscriptionDenied");

    TestClient alice = connect("alice-token");
    assertThat(error(subscribe(alice, "users", "bob"))).as("another user's key").isEqualTo("SubscriptionDenied");
    assertThat(subscribe(alice, "users", "alice").path("event").asText()).isEqualTo("Subscribed");

    TestClient forger = connect(null);
    assertThat(error(forger.call("Authenticate", Map.of("token", "alice-tokenX")))).as("forged token").isEqualTo("InvalidAuthentication");
    assertThat(error(subscribe(forger, "users", "alice"))).isEqualTo("SubscriptionDenied");
    assertThat(error(forger.call("Authenticate", Map.of("token", "alice-expired-token")))).as("expired token").isEqualTo("InvalidAuthentication");
    assertThat(error(subscribe(forger, "users", "alice"))).isEqualTo("SubscriptionDenied");

    assertThat(error(subscribe(alice, "unregistered", "1"))).as("an exchange nobody registered").isEqualTo("InvalidExchange");
    assertThatThrownBy(() -> Myxi.builder().exchange("no-authorizer", null)).as("an exchange cannot exist without an authorizer")
        .isInstanceOf(NullPointerException.class);
    assertThat(server.stats().subscriptions()).isEqualTo(1);
  }

  @Test
  void revoked_access_is_removed_by_re_authorization_within_the_interval() throws Exception {
    revocableAllowed.add("doc");
    TestClient client = connect(null);
    assertThat(subscribe(client, "revocable", "doc").path("event").asText()).isEqualTo("Subscribed");
    long revokedAt = System.nanoTime();
    revocableAllowed.remove("doc");
    JsonNode revoked = client.nextEvent("Unsubscribed");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt);
    System.out.println("FIGURE revocation_to_unsubscribed_ms=" + millis + " ms (reauthorizeInterval 300 ms)");
    assertThat(revoked.path("payload").path("auto").asBoolean()).isTrue();
    assertThat(millis).isLessThan(10_000);
    myxi.pushEvent("revocable", "doc", "Secret", null);
    assertThat(client.call("Ping", null).path("event").asText()).isEqualTo("Pong");
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
    await().atMost(WAIT).until(() -> server.stats().bindings() == 0);
  }

  @Test
  void over_a_stream_of_events_on_many_keys_no_session_receives_one_it_was_not_authorized_for() throws Exception {
    revocableAllowed.addAll(List.of("doc-1", "doc-2"));
    List<String[]> keys = List.of(
        new String[] {"users", "alice"}, new String[] {"users", "bob"}, new String[] {"users", "carol"},
        new String[] {"widgets", "w1"}, new String[] {"widgets", "w2"}, new String[] {"public", "p1"},
        new String[] {"revocable", "doc-1"}, new String[] {"revocable", "doc-2"}, new String[] {"revocable", "doc-3"});
    Map<String, TestClient> sessions = new LinkedHashMap<>();
    sessions.put("alice", connect("alice-token"));
    sessions.put("bob", connect("bob-token"));
    sessions.put("anonymous", connect(null));
    sessions.put("forger", connect(null));
    sessions.get("forger").call("Authenticate", Map.of("token", "bob-tokenX"));
    Map<String, Set<String>> granted = new LinkedHashMap<>();
    for (Map.Entry<String, TestClient> entry : sessions.entrySet()) {
      Set<String> mine = new HashSet<>();
      for (String[] key : keys) {
        JsonNode reply = subscribe(entry.getValue(), key[0], key[1]);
        if (reply.path("event").asText().equals("Subscribed")) {
          mine.add(key[0] + "/" + key[1]);
        }
      }
      granted.put(entry.getKey(), mine);
    }
    assertThat(granted.get("alice")).containsExactlyInAnyOrder("users/alice", "widgets/w1", "widgets/w2", "public/p1", "revocable/doc-1", "revocable/doc-2");
    assertThat(granted.get("bob")).containsExactlyInAnyOrder("users/bob", "widgets/w1", "widgets/w2", "public/p1", "revocable/doc-1", "revocable/doc-2");
    assertThat(granted.get("anonymous")).containsExactlyInAnyOrder("public/p1", "revocable/doc-1", "revocable/doc-2");
    assertThat(granted.get("forger")).isEqualTo(granted.get("anonymous"));

    int rounds = 40;
    for (int round = 0; round < rounds; round++) {
      if (round == rounds / 2) {
        revocableAllowed.remove("doc-1");
        server.reauthorizeAll(WAIT);
      }
      for (String[] key : keys) {
        myxi.pushEvent(key[0], key[1], "Stream", Map.of("round", round));
      }
    }
    myxi.pushEvent("public", "p1", "End", null);

    for (Map.Entry<String, TestClient> entry : sessions.entrySet()) {
      Set<String> allowed = new HashSet<>(granted.get(entry.getKey()));
      int received = 0;
      while (true) {
        JsonNode frame = entry.getValue().next(WAIT);
        String event = frame.path("event").asText();
        if (event.equals("End")) {
          break;
        }
        if (event.equals("Unsubscribed")) {
          assertThat(frame.path("payload").path("auto").asBoolean()).isTrue();
          allowed.remove(frame.path("payload").path("exchange").asText() + "/" + frame.path("payload").path("routing_key").asText());
          continue;
        }
        String key = frame.path("mq").path("e").asText() + "/" + frame.path("mq").path("rk").asText();
        assertThat(allowed).as("%s received %s", entry.getKey(), frame).contains(key);
        received++;
      }
      assertThat(allowed).as(entry.getKey() + " lost doc-1").doesNotContain("revocable/doc-1");
      assertThat(received).as(entry.getKey()).isGreaterThan(rounds);
    }
  }
}
