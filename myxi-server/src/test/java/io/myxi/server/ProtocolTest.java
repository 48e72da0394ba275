package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.CloseCodes;
import io.myxi.Myxi;
import io.myxi.broker.Broker;
import io.myxi.testing.TestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every line of docs/protocol.md, through a real WebSocket on an ephemeral port. */
abstract class ProtocolTest {
  protected Broker broker;
  protected TestApp app;
  protected Myxi myxi;
  protected MyxiServer server;
  protected final List<TestClient> clients = new ArrayList<>();

  protected abstract Broker newBroker();

  @BeforeEach
  void startServer() {
    broker = newBroker();
    app = new TestApp();
    myxi = app.builder(broker).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ZERO).shutdownWindow(Duration.ZERO).build().start();
    // Until the node queue is connected, Subscribe answers BrokerUnavailable.
    await("server ready").atMost(Duration.ofSeconds(30)).until(server::isReady);
  }

  @AfterEach
  void stopServer() {
    clients.forEach(TestClient::close);
    server.stop();
    myxi.close();
    broker.close();
  }

  protected TestClient connect() {
    TestClient client = TestClient.connect(server.port());
    clients.add(client);
    return client;
  }

  protected TestClient alice() {
    TestClient client = connect();
    assertThat(client.call("Authenticate", Map.of("token", "alice-token")).path("event").asText()).isEqualTo("Authenticated");
    return client;
  }

  private static String event(JsonNode frame) {
    return frame.path("event").asText();
  }

  @Test
  void welcome_carries_a_16_hex_session_id() {
    TestClient client = connect();
    assertThat(client.sessionId()).matches("[0-9a-f]{16}");
    assertThat(server.session(client.sessionId())).isPresent();
  }

  @Test
  void text_that_is_not_json_or_not_an_object_is_invalid_json() {
    TestClient client = connect();
    for (String text : List.of("not json", "[1,2]", "42", "\"Ping\"", "{\"action\":\"Ping\",\"payload\":[1]}")) {
      client.sendText(text);
      JsonNode reply = client.next();
      assertThat(event(reply)).as(text).isEqualTo("Error");
      assertThat(reply.path("payload").path("error").asText()).as(text).isEqualTo("InvalidJSON");
    }
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
  }

  @Test
  void binary_frames_are_read_as_utf8_text() {
    TestClient client = connect();
    client.sendBinary("{\"action\":\"Ping\",\"tag\":\"b\"}".getBytes(StandardCharsets.UTF_8));
    JsonNode reply = client.next();
    assertThat(event(reply)).isEqualTo("Pong");
    assertThat(reply.path("tag").asText()).isEqualTo("b");
    client.sendBinary(new byte[] {(byte) 0xff, (byte) 0xfe, '{'});
    assertThat(client.next().path("payload").path("error").asText()).isEqualTo("InvalidJSON");
  }

  @Test
  void unknown_or_missing_action_is_invalid_action_with_the_tag() {
    TestClient client = connect();
    JsonNode unknown = client.call("Fly", Map.of());
    assertThat(event(unknown)).isEqualTo("Error");
    assertThat(unknown.path("payload").path("error").asText()).isEqualTo("InvalidAction");
    client.sendText("{\"tag\":{\"any\":\"value\"},\"payload\":{}}");
    JsonNode missing = client.next();
    assertThat(missing.path("payload").path("error").asText()).isEqualTo("InvalidAction");
    assertThat(missing.path("tag").path("any").asText()).isEqualTo("value");
    client.sendText("{\"action\":7}");
    assertThat(client.next().path("payload").path("error").asText()).isEqualTo("InvalidAction");
  }

  @Test
  void ping_answers_pong_with_unix_seconds() {
    TestClient client = connect();
    long before = System.currentTimeMillis() / 1000;
    JsonNode pong = client.call("Ping", null);
    assertThat(event(pong)).isEqualTo("Pong");
    assertThat(pong.path("payload").path("time").asLong()).isBetween(before, before + 5);
  }

  @Test
  void subscribed_then_every_event_pushed_afterwards_arrives_with_mq() {
    TestClient client = alice();
    JsonNode subscribed = client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1234"));
    assertThat(event(subscribed)).isEqualTo("Subscribed");
    assertThat(subscribed.path("payload").path("exchange").asText()).isEqualTo("widgets");
    assertThat(subscribed.path("payload").path("routing_key").asText()).isEqualTo("1234");

    myxi.pushEvent("widgets", "1234", "WidgetUpdated", Map.of("name", "bolt"));

    JsonNode delivered = client.next();
    assertThat(event(delivered)).isEqualTo("WidgetUpdated");
    assertThat(delivered.path("payload").path("name").asText()).isEqualTo("bolt");
    assertThat(delivered.path("mq").path("e").asText()).isEqualTo("widgets");
    assertThat(delivered.path("mq").path("rk").asText()).isEqualTo("1234");
    assertThat(delivered.has("tag")).isFalse();
  }

  @Test
  void numeric_routing_keys_are_strings_and_routing_keys_get_one_reply_each() {
    TestClient client = alice();
    JsonNode numeric = client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", 99));
    assertThat(numeric.path("payload").path("routing_key").isTextual()).isTrue();
    assertThat(numeric.path("payload").path("routing_key").asText()).isEqualTo("99");

    int tag = client.action("Subscribe", Map.of("exchange", "widgets", "routing_keys", List.of("a", 2, "c")));
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonNode reply = client.nextWithTag(tag);
      assertThat(event(reply)).isEqualTo("Subscribed");
      keys.add(reply.path("payload").path("routing_key").asText());
    }
    assertThat(keys).containsExactly("a", "2", "c");
    myxi.pushEvent("widgets", "2", "Two", null);
    assertThat(event(client.next())).isEqualTo("Two");
  }

  @Test
  void subscribe_errors_name_exchange_and_key() {
    TestClient client = connect();
    JsonNode invalidExchange = client.call("Subscribe", Map.of("exchange", "nope", "routing_key", "1"));
    assertThat(invalidExchange.path("payload").path("error").asText()).isEqualTo("InvalidExchange");
    assertThat(invalidExchange.path("payload").path("exchange").asText()).isEqualTo("nope");

    JsonNode denied = client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1"));
    assertThat(denied.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(denied.path("payload").path("exchange").asText()).isEqualTo("widgets");
    assertThat(denied.path("payload").path("routing_key").asText()).isEqualTo("1");

    JsonNode noKey = client.call("Subscribe", Map.of("exchange", "public"));
    assertThat(noKey.path("payload").path("error").asText()).isEqualTo("InvalidRoutingKey");
    JsonNode objectKey = client.call("Subscribe", Map.of("exchange", "public", "routing_key", Map.of("a", 1)));
    assertThat(objectKey.path("payload").path("error").asText()).isEqualTo("InvalidRoutingKey");
    JsonNode longKey = client.call("Subscribe", Map.of("exchange", "public", "routing_key", "k".repeat(256)));
    assertThat(longKey.path("payload").path("error").asText()).isEqualTo("InvalidRoutingKey");

    assertThat(event(client.call("Subscribe", Map.of("exchange", "public", "routing_key", "x")))).isEqualTo("Subscribed");
    JsonNode again = client.call("Subscribe", Map.of("exchange", "public", "routing_key", "x"));
    assertThat(again.path("payload").path("error").asText()).isEqualTo("AlreadySubscribed");
    assertThat(again.path("payload").path("routing_key").asText()).isEqualTo("x");
  }

  @Test
  void per_user_exchange_allows_only_the_own_key() {
    TestClient client = alice();
    assertThat(event(client.call("Subscribe", Map.of("exchange", "users", "routing_key", "alice")))).isEqualTo("Subscribed");
    JsonNode other = client.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob"));
    assertThat(other.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
  }

  @Test
  void an_authorizer_that_throws_denies_and_leaks_nothing() {
    TestClient client = connect();
    JsonNode denied = client.call("Subscribe", Map.of("exchange", "faulty", "routing_key", "1"));
    assertThat(denied.path("payload").path("error").asText()).isEqualTo("SubscriptionDenied");
    assertThat(denied.toString()).doesNotContain("database");
  }

  @Test
  void unsubscribe_by_key_by_exchange_and_everything() {
    TestClient client = alice();
    client.call("Subscribe", Map.of("exchange", "widgets", "routing_keys", List.of("1", "2", "3")));
    client.next();
    client.next();
    client.call("Subscribe", Map.of("exchange", "public", "routing_key", "p"));

    JsonNode one = client.call("Unsubscribe", Map.of("exchange", "widgets", "routing_key", "1"));
    assertThat(event(one)).isEqualTo("Unsubscribed");
    assertThat(one.path("payload").path("exchange_name").asText()).isEqualTo("widgets");
    assertThat(one.path("payload").path("exchange").asText()).isEqualTo("widgets");
    assertThat(one.path("payload").path("routing_key").asText()).isEqualTo("1");
    assertThat(one.path("payload").path("auto").asBoolean(true)).isFalse();

    JsonNode notSubscribed = client.call("Unsubscribe", Map.of("exchange", "widgets", "routing_key", "1"));
    assertThat(notSubscribed.path("payload").path("error").asText()).isEqualTo("NotSubscribed");

    int byExchange = client.action("Unsubscribe", Map.of("exchange", "widgets"));
    assertThat(client.nextWithTag(byExchange).path("payload").path("routing_key").asText()).isEqualTo("2");
    assertThat(client.nextWithTag(byExchange).path("payload").path("routing_key").asText()).isEqualTo("3");

    JsonNode list = client.call("ListSubscriptions", null);
    assertThat(list.path("payload").path("subscriptions").toString()).isEqualTo("{\"public\":[\"p\"]}");

    JsonNode all = client.call("Unsubscribe", null);
    assertThat(all.path("payload").path("exchange").asText()).isEqualTo("public");
    assertThat(client.call("ListSubscriptions", null).path("payload").path("subscriptions").size()).isZero();

    myxi.pushEvent("widgets", "2", "Late", null);
    myxi.pushEvent("public", "p", "Late", null);
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void list_subscriptions_groups_keys_by_exchange() {
    TestClient client = alice();
    client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1234"));
    client.call("Subscribe", Map.of("exchange", "users", "routing_key", "alice"));
    JsonNode list = client.call("ListSubscriptions", Map.of());
    assertThat(event(list)).isEqualTo("YourSubscriptions");
    assertThat(list.path("payload").path("subscriptions").toString()).isEqualTo("{\"users\":[\"alice\"],\"widgets\":[\"1234\"]}");
  }

  @Test
  void an_action_that_throws_answers_internal_error_with_an_id_only_and_keeps_the_session() {
    TestClient client = connect();
    JsonNode reply = client.call("Boom", null);
    assertThat(event(reply)).isEqualTo("InternalError");
    assertThat(reply.path("payload").path("error").asText()).isEqualTo("InternalError");
    assertThat(reply.path("payload").path("id").asText()).matches("[0-9a-f]{12}");
    assertThat(reply.toString()).doesNotContain("hunter2").doesNotContain("IllegalState");
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
  }

  /** The JDK closes a socket channel that an interrupted thread writes to: senders never write themselves. */
  @Test
  void a_reply_from_an_interrupted_thread_arrives_and_the_connection_stays_open() {
    TestClient client = connect();
    for (int i = 0; i < 5; i++) {
      assertThat(event(client.call("Interrupted", null))).isEqualTo("StillHere");
    }
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
    assertThat(client.isClosed()).isFalse();
  }

  @Test
  void authenticated_actions_answer_auth_required_before_authentication() {
    TestClient client = connect();
    JsonNode refused = client.call("Secret", null);
    assertThat(refused.path("payload").path("error").asText()).isEqualTo("AuthRequired");
    JsonNode invalid = client.call("Authenticate", Map.of("token", "forged"));
    assertThat(invalid.path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
    client.call("Authenticate", Map.of("token", "bob-token"));
    assertThat(event(client.call("Secret", null))).isEqualTo("SecretOk");
  }

  @Test
  void actions_of_one_session_run_in_order() {
    TestClient client = alice();
    List<Integer> tags = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      tags.add(client.action(i % 2 == 0 ? "Ping" : "ListSubscriptions", null));
    }
    for (int tag : tags) {
      assertThat(client.next().path("tag").asInt()).isEqualTo(tag);
    }
  }

  @Test
  void re_authorization_revokes_with_auto_unsubscribed_and_stops_events() throws Exception {
    app.revocableAllowed.add("doc-1");
    TestClient client = connect();
    assertThat(event(client.call("Subscribe", Map.of("exchange", "revocable", "routing_key", "doc-1")))).isEqualTo("Subscribed");
    app.revocableAllowed.remove("doc-1");

    server.reauthorizeAll(Duration.ofSeconds(10));

    JsonNode revoked = client.next();
    assertThat(event(revoked)).isEqualTo("Unsubscribed");
    assertThat(revoked.path("payload").path("auto").asBoolean()).isTrue();
    assertThat(revoked.path("payload").path("exchange_name").asText()).isEqualTo("revocable");
    assertThat(revoked.has("tag")).isFalse();
    myxi.pushEvent("revocable", "doc-1", "Secret", null);
    assertThat(event(client.call("Ping", null))).isEqualTo("Pong");
    assertThat(client.poll(Duration.ofMillis(300))).isNull();
    assertThat(server.stats().bindings()).isZero();
  }

  @Test
  void periodic_re_authorization_runs_at_the_touch_interval() {
    app.revocableAllowed.add("doc-2");
    try (MyxiServer touching = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").reauthorizeInterval(Duration.ofMillis(200)).build().start();
        TestClient client = TestClient.connect(touching.port())) {
      await("server ready").atMost(Duration.ofSeconds(30)).until(touching::isReady);
      client.call("Subscribe", Map.of("exchange", "revocable", "routing_key", "doc-2"));
      app.revocableAllowed.remove("doc-2");
      JsonNode revoked = client.nextEvent("Unsubscribed");
      assertThat(revoked.path("payload").path("auto").asBoolean()).isTrue();
    }
  }

  @Test
  void disconnect_releases_subscriptions_and_the_binding() {
    TestClient first = alice();
    TestClient second = alice();
    first.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "shared"));
    second.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "shared"));
    assertThat(server.stats().bindings()).isEqualTo(1);

    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().subscriptions() == 1);
    assertThat(server.stats().bindings()).isEqualTo(1);
    second.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().bindings() == 0);
    assertThat(server.stats().sessions()).isZero();
  }

  @Test
  void session_api_sends_keeps_attributes_and_runs_close_callbacks() throws Exception {
    TestClient client = connect();
    var session = server.session(client.sessionId()).orElseThrow();
    session.setAttribute("tab", "deployments");
    assertThat(session.attribute("tab")).isEqualTo("deployments");
    session.send("Hello", Map.of("n", 1));
    JsonNode hello = client.next();
    assertThat(event(hello)).isEqualTo("Hello");
    assertThat(hello.path("payload").path("n").asInt()).isEqualTo(1);
    assertThat(session.remoteAddress().isLoopbackAddress()).isTrue();

    java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    session.onClose(closed::countDown);
    session.close(CloseCodes.NORMAL, "bye");
    assertThat(client.awaitClose()).isEqualTo(CloseCodes.NORMAL);
    assertThat(closed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> !session.isOpen());
  }

  @Test
  void a_body_that_is_not_gem_json_is_dropped_and_counted_and_later_events_flow() {
    TestClient client = connect();
    client.call("Subscribe", Map.of("exchange", "public", "routing_key", "p"));
    broker.publish(app.prefix + "public", "p", "not json".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
    broker.publish(app.prefix + "public", "p", "{\"payload\":1}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
    myxi.pushEvent("public", "p", "Fine", null);
    assertThat(event(client.next())).isEqualTo("Fine");
    assertThat(server.stats().deliveriesDropped()).containsEntry("invalid_body", 2L);
  }

  @Test
  void stop_closes_sessions_with_going_away_and_removes_the_binding() {
    TestClient client = alice();
    client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1"));
    server.stop();
    assertThat(client.awaitClose()).isEqualTo(CloseCodes.GOING_AWAY);
    assertThat(server.stats().brokerConnected()).isFalse();
    server.stop();
  }

  @Test
  void each_event_is_encoded_once_for_all_subscribers() {
    List<TestClient> subscribers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TestClient client = connect();
      client.call("Subscribe", Map.of("exchange", "public", "routing_key", "fan"));
      subscribers.add(client);
    }
    long encodedBefore = server.stats().eventsEncoded();
    myxi.pushEvent("public", "fan", "Fan", Map.of("i", 1));
    for (TestClient client : subscribers) {
      assertThat(event(client.next())).isEqualTo("Fan");
    }
    assertThat(server.stats().eventsEncoded() - encodedBefore).isEqualTo(1);
  }

  @Test
  void a_subscribe_racing_the_last_unsubscribe_of_its_key_stays_bound() {
    // The leaving session's unbind must never reach the broker after the arriving one's bind.
    for (int i = 0; i < 30; i++) {
      TestClient leaving = connect();
      assertThat(event(leaving.call("Subscribe", Map.of("exchange", "public", "routing_key", "race")))).isEqualTo("Subscribed");
      TestClient arriving = connect();
      leaving.close();
      assertThat(event(arriving.call("Subscribe", Map.of("exchange", "public", "routing_key", "race")))).isEqualTo("Subscribed");
      myxi.pushEvent("public", "race", "Race", Map.of("i", i));
      assertThat(arriving.nextEvent("Race").path("payload").path("i").asInt()).isEqualTo(i);
      arriving.close();
    }
  }
}
