package io.myxi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.broker.InProcessBroker;
import io.myxi.testing.LogCapture;
import io.myxi.testing.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No leaks (issue 4, item 15): exception texts, tokens and other sessions' data never reach a
 * client, and never a log line below ERROR (exceptions are logged at ERROR with their id, for the
 * operator; tokens never at all).
 */
class NoLeakTest {
  private static final Pattern RECORD_START = Pattern.compile("^\\[[^\\]]*\\] (TRACE|DEBUG|INFO|WARN|ERROR) ");
  private static final List<String> TOKENS = List.of("alice-token", "bob-token", "forged-secret-token-7781");
  private static final List<String> EXCEPTION_TEXTS = List.of("hunter2", "authorizer database down", "IllegalStateException");

  /** A log record: its level and every line of it, stack trace included. */
  record LogRecord(String level, String text) {}

  static List<LogRecord> records(List<String> lines) {
    List<LogRecord> records = new ArrayList<>();
    String level = null;
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      Matcher start = RECORD_START.matcher(line);
      if (start.find()) {
        if (level != null) {
          records.add(new LogRecord(level, text.toString()));
        }
        level = start.group(1);
        text.setLength(0);
      }
      text.append(line).append('\n');
    }
    if (level != null) {
      records.add(new LogRecord(level, text.toString()));
    }
    return records;
  }

  @Test
  void secrets_and_other_sessions_data_reach_no_client_and_no_log_line_below_error() throws Exception {
    List<JsonNode> aliceFrames = new ArrayList<>();
    List<JsonNode> bobFrames = new ArrayList<>();
    String bobId;
    String aliceId;
    try (LogCapture logs = LogCapture.start();
        InProcessBroker broker = new InProcessBroker();
        Myxi myxi = new TestApp().builder(broker).build();
        MyxiServer server = MyxiServer.builder(myxi).port(0).bindAddress("127.0.0.1").actionRateLimit(5, 5).maxMessageBytes(1024).shutdownWindow(Duration.ZERO).build().start();
        TestClient alice = TestClient.connect(server.port());
        TestClient bob = TestClient.connect(server.port())) {
      aliceId = alice.sessionId();
      bobId = bob.sessionId();
      aliceFrames.add(alice.call("Authenticate", Map.of("token", "alice-token")));
      bobFrames.add(bob.call("Authenticate", Map.of("token", "bob-token")));
      bobFrames.add(bob.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")));
      aliceFrames.add(alice.call("Boom", Map.of("token", "alice-token")));
      aliceFrames.add(alice.call("Subscribe", Map.of("exchange", "faulty", "routing_key", "1")));
      aliceFrames.add(alice.call("Subscribe", Map.of("exchange", "users", "routing_key", "bob")));
      aliceFrames.add(alice.call("Authenticate", Map.of("token", "forged-secret-token-7781")));
      myxi.pushEvent("users", "bob", "PrivateToBob", Map.of("secret", "bob's data"));
      bobFrames.add(bob.next());
      alice.sendText("{\"action\":\"Authenticate\",\"payload\":{\"token\":\"forged-secret-token-7781\"");
      aliceFrames.add(alice.next());
      for (int i = 0; i < 10; i++) {
        alice.sendText("{\"action\":\"Authenticate\",\"payload\":{\"token\":\"forged-secret-token-7781\"}}");
      }
      for (int i = 0; i < 10; i++) {
        aliceFrames.add(alice.next());
      }
      assertThat(aliceFrames.stream().map(frame -> frame.path("payload").path("error").asText())).contains("RateLimited", "InvalidAuthentication");
      try (TestClient carol = TestClient.connect(server.port())) {
        carol.sendText("{\"action\":\"Authenticate\",\"payload\":{\"token\":\"forged-secret-token-7781" + "x".repeat(2000) + "\"}}");
        assertThat(carol.awaitClose()).isEqualTo(1009);
      }
      aliceFrames.addAll(alice.drain());
      bobFrames.addAll(bob.drain());
      server.stop();
      await().atMost(Duration.ofSeconds(10)).until(() -> logs.text().contains("stopped"));

      for (JsonNode frame : aliceFrames) {
        String text = frame.toString();
        for (String secret : EXCEPTION_TEXTS) {
          assertThat(text).as("a frame to alice").doesNotContain(secret);
        }
        assertThat(text).doesNotContain(bobId).doesNotContain("bob-token").doesNotContain("bob's data").doesNotContain("PrivateToBob");
      }
      for (JsonNode frame : bobFrames) {
        assertThat(frame.toString()).doesNotContain(aliceId).doesNotContain("alice-token").doesNotContain("hunter2");
      }

      List<LogRecord> records = records(logs.lines());
      assertThat(records).isNotEmpty();
      for (LogRecord record : records) {
        for (String token : TOKENS) {
          assertThat(record.text()).as("a %s log record", record.level()).doesNotContain(token);
        }
        if (!record.level().equals("ERROR")) {
          for (String secret : EXCEPTION_TEXTS) {
            assertThat(record.text()).as("a %s log record", record.level()).doesNotContain(secret);
          }
          assertThat(record.text()).doesNotContain("bob's data");
        }
      }
      // The operator still gets the exceptions, tied to the id the client saw.
      String errorId = aliceFrames.stream().filter(frame -> frame.path("event").asText().equals("InternalError"))
          .findFirst().orElseThrow().path("payload").path("id").asText();
      assertThat(records).anySatisfy(record -> {
        assertThat(record.level()).isEqualTo("ERROR");
        assertThat(record.text()).contains(errorId).contains("hunter2");
      });
    }
  }
}
