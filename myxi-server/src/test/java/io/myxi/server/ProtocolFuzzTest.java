package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.CloseCodes;
import io.myxi.ErrorCodes;
import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.LogCapture;
import io.myxi.testing.TestClient;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Malformed input (issue 4, item 12), generated: random bytes, random text, random JSON of every
 * shape, wrong types, deep nesting, huge routing_keys arrays, invalid UTF-8. Every input gets a
 * documented reply or close code, nothing is thrown uncaught, and the session (or, after a close,
 * the server) keeps working.
 */
class ProtocolFuzzTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** What the server may send in reply to anything. */
  private static final Set<String> DOCUMENTED_EVENTS = Set.of("Error", "InternalError", "Subscribed", "Unsubscribed",
      "YourSubscriptions", "Pong", "Authenticated", "SecretOk");
  private static final Set<Integer> DOCUMENTED_CLOSE_CODES = Set.of(CloseCodes.MESSAGE_TOO_BIG, CloseCodes.PROTOCOL_ERROR, CloseCodes.INVALID_PAYLOAD);
  private static final Set<String> ERROR_CODES = errorCodes();
  private static final AtomicInteger PROBES = new AtomicInteger();

  private static LogCapture logs;
  private static InProcessBroker broker;
  private static Myxi myxi;
  private static MyxiServer server;
  private static TestClient client;

  private static Set<String> errorCodes() {
    Set<String> codes = new HashSet<>();
    for (Field field : ErrorCodes.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        try {
          codes.add((String) field.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return codes;
  }

  @BeforeContainer
  static void start() {
    logs = LogCapture.start();
    broker = new InProcessBroker();
    myxi = new TestApp().builder(broker).build();
    server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").actionRateLimit(0, 1).reauthorizeInterval(Duration.ZERO)
        .shutdownWindow(Duration.ZERO).build().start();
  }

  @AfterContainer
  static void stopAndCheckTheLog() {
    if (client != null) {
      client.close();
    }
    server.stop();
    myxi.close();
    broker.close();
    logs.close();
    for (NoLeakTest.LogRecord record : NoLeakTest.records(logs.lines())) {
      assertThat(record.text()).doesNotContain("Uncaught").doesNotContain("StackOverflowError").doesNotContain("OutOfMemoryError");
      if (record.level().equals("ERROR")) {
        // Only the test application's own failures and the library's note on protocol violations.
        assertThat(record.text()).containsAnyOf("Action Boom of session", "Authorizer of exchange faulty threw",
            "Closing due to invalid data in frame", "Closing due to invalid size of frame");
      }
    }
  }

  private static TestClient client() {
    if (client == null || client.isClosed()) {
      client = TestClient.connect(server.port());
    }
    return client;
  }

  /**
   * Sends one input and a Ping behind it; every frame before the Pong must be documented. Returns
   * normally also when the server closed the connection with a documented code.
   */
  private static void assertDocumentedReplies(Runnable send) {
    TestClient session = client();
    try {
      send.run();
    } catch (RuntimeException closedWhileSending) {
      // A message over the size limit is refused while it is still being sent.
      assertClosedWithDocumentedCode(session);
      return;
    }
    String probe = "probe-" + PROBES.incrementAndGet();
    try {
      session.sendText("{\"action\":\"Ping\",\"tag\":\"" + probe + "\"}");
    } catch (RuntimeException closedAlready) {
      assertClosedWithDocumentedCode(session);
      return;
    }
    while (true) {
      JsonNode frame = session.nextUnlessClosed(WAIT);
      if (frame == null) {
        assertClosedWithDocumentedCode(session);
        return;
      }
      String event = frame.path("event").asText();
      assertThat(DOCUMENTED_EVENTS).as("reply %s", frame).contains(event);
      if (event.equals("Error") || event.equals("InternalError")) {
        assertThat(ERROR_CODES).as("error code in %s", frame).contains(frame.path("payload").path("error").asText());
      }
      if (event.equals("Pong") && probe.equals(frame.path("tag").asText())) {
        return;
      }
    }
  }

  private static void assertClosedWithDocumentedCode(TestClient session) {
    int code = session.awaitClose(WAIT);
    assertThat(DOCUMENTED_CLOSE_CODES).as("close code").contains(code);
    client = null;
    assertThat(client().call("Ping", null).path("event").asText()).as("the server still serves").isEqualTo("Pong");
  }

  @Property(tries = 200)
  void random_bytes_in_binary_frames(@ForAll @Size(max = 3000) byte[] bytes) {
    assertDocumentedReplies(() -> client().sendBinary(bytes));
  }

  @Property(tries = 200)
  void random_text(@ForAll @Size(max = 2000) String text) {
    assertDocumentedReplies(() -> sendText(text));
  }

  @Property(tries = 300)
  void random_json_of_every_shape(@ForAll("frames") JsonNode frame) {
    assertDocumentedReplies(() -> sendText(frame.toString()));
  }

  @Property(tries = 60)
  void deep_nesting_anywhere(@ForAll @IntRange(min = 1, max = 30_000) int depth, @ForAll("nestingPlaces") String place) {
    String open = place.contains("object") ? "{\"a\":" : "[";
    String close = place.contains("object") ? "}" : "]";
    String nested = open.repeat(depth) + "0" + close.repeat(depth);
    String frame = switch (place) {
      case "top-array", "top-object" -> nested;
      case "tag-array", "tag-object" -> "{\"action\":\"Ping\",\"tag\":" + nested + "}";
      default -> "{\"action\":\"Subscribe\",\"payload\":{\"exchange\":\"public\",\"routing_key\":" + nested + "}}";
    };
    assertDocumentedReplies(() -> sendText(frame.length() > 60_000 ? frame.substring(0, 60_000) : frame));
  }

  @Provide
  Arbitrary<String> nestingPlaces() {
    return Arbitraries.of("top-array", "top-object", "tag-array", "tag-object", "key-array", "key-object");
  }

  @Property(tries = 40)
  void huge_routing_keys_arrays(@ForAll @IntRange(min = 0, max = 5000) int count, @ForAll("routingKeyElements") JsonNode element) {
    ArrayNode keys = NODES.arrayNode();
    for (int i = 0; i < count; i++) {
      keys.add(element.isTextual() ? NODES.textNode(element.asText() + i) : element);
    }
    ObjectNode frame = NODES.objectNode().put("action", "Subscribe").put("tag", 1);
    frame.putObject("payload").put("exchange", "revocable").set("routing_keys", keys);
    String text = frame.toString();
    assertDocumentedReplies(() -> sendText(text.length() > 60_000 ? text.substring(0, 60_000) : text));
  }

  @Provide
  Arbitrary<JsonNode> routingKeyElements() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(300).map(NODES::textNode),
        Arbitraries.integers().map(NODES::numberNode),
        Arbitraries.just(NODES.nullNode()),
        Arbitraries.just(NODES.arrayNode()),
        Arbitraries.just(NODES.objectNode()));
  }

  @Property(tries = 100)
  void invalid_utf8_in_text_frames_closes_with_1007_and_the_server_goes_on(@ForAll @Size(min = 1, max = 500) byte[] bytes) throws Exception {
    byte[] invalid = new byte[bytes.length + 2];
    System.arraycopy(bytes, 0, invalid, 1, bytes.length);
    invalid[0] = '{';
    invalid[invalid.length - 1] = (byte) 0xC3; // a lead byte with no continuation: never valid UTF-8
    try (RawWebSocket socket = RawWebSocket.connect(server.port(), Map.of())) {
      socket.readText(); // Welcome
      socket.send(RawWebSocket.TEXT, true, invalid);
      assertThat(socket.awaitClose(WAIT)).isIn(1007, -1);
    }
    assertThat(client().call("Ping", null).path("event").asText()).isEqualTo("Pong");
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<JsonNode> frames() {
    Arbitrary<JsonNode> action = Arbitraries.oneOf(
        Arbitraries.of("Subscribe", "Unsubscribe", "ListSubscriptions", "Ping", "Authenticate", "Secret", "Boom", "Fly", "").map(NODES::textNode),
        anyJson(2));
    Arbitrary<JsonNode> payload = Arbitraries.oneOf(payloads(), anyJson(3));
    Arbitrary<JsonNode> tag = Arbitraries.oneOf(anyJson(3), Arbitraries.just(null));
    return Combinators.combine(action, payload, tag, Arbitraries.integers().between(0, 7)).as((a, p, t, omit) -> {
      ObjectNode frame = NODES.objectNode();
      if ((omit & 1) == 0) {
        frame.set("action", a);
      }
      if ((omit & 2) == 0) {
        frame.set("payload", p);
      }
      if (t != null && (omit & 4) == 0) {
        frame.set("tag", t);
      }
      return frame;
    });
  }

  /** Payloads shaped like the real ones, with wrong types mixed in. */
  private Arbitrary<JsonNode> payloads() {
    Arbitrary<JsonNode> exchange = Arbitraries.oneOf(
        Arbitraries.of("public", "widgets", "users", "revocable", "faulty", "nope").map(NODES::textNode), anyJson(2));
    Arbitrary<JsonNode> key = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(300).map(NODES::textNode), anyJson(2));
    Arbitrary<JsonNode> keys = key.list().ofMaxSize(50).map(list -> {
      ArrayNode array = NODES.arrayNode();
      list.forEach(array::add);
      return array;
    });
    return Combinators.combine(exchange, key, Arbitraries.oneOf(keys, anyJson(2)), Arbitraries.integers().between(0, 7)).as((e, k, ks, omit) -> {
      ObjectNode payload = NODES.objectNode();
      if ((omit & 1) == 0) {
        payload.set("exchange", e);
      }
      if ((omit & 2) == 0) {
        payload.set("routing_key", k);
      }
      if ((omit & 4) == 0) {
        payload.set("routing_keys", ks);
      }
      if ((omit & 6) == 6) {
        payload.put("token", "alice-token");
      }
      return payload;
    });
  }

  private static Arbitrary<JsonNode> anyJson(int depth) {
    Arbitrary<JsonNode> scalars = Arbitraries.oneOf(
        Arbitraries.just(NODES.nullNode()),
        Arbitraries.of(true, false).map(NODES::booleanNode),
        Arbitraries.integers().map(NODES::numberNode),
        Arbitraries.longs().map(NODES::numberNode),
        Arbitraries.doubles().map(NODES::numberNode),
        Arbitraries.bigIntegers().between(java.math.BigInteger.TEN.pow(40).negate(), java.math.BigInteger.TEN.pow(40)).map(NODES::numberNode),
        Arbitraries.strings().ofMaxLength(50).map(NODES::textNode));
    if (depth <= 0) {
      return scalars;
    }
    Arbitrary<JsonNode> inner = anyJson(depth - 1);
    Arbitrary<JsonNode> arrays = inner.list().ofMaxSize(4).map(list -> {
      ArrayNode array = NODES.arrayNode();
      list.forEach(array::add);
      return array;
    });
    Arbitrary<JsonNode> objects = Combinators.combine(Arbitraries.strings().ofMaxLength(10).list().ofMaxSize(4), inner.list().ofSize(4)).as((names, values) -> {
      ObjectNode object = NODES.objectNode();
      for (int i = 0; i < names.size(); i++) {
        object.set(names.get(i), values.get(i));
      }
      return object;
    });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, scalars),
        net.jqwik.api.Tuple.of(1, arrays),
        net.jqwik.api.Tuple.of(1, objects));
  }

  /**
   * Sends text as a text frame. Generated strings may hold lone surrogates, which no UTF-8 encoder
   * (the client's included) can send: they become '?' first. Invalid UTF-8 has its own property.
   */
  private static void sendText(String text) {
    client().sendText(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
  }
}
