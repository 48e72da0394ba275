package io.myxi.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket client for tests on the JDK's non-blocking client: every frame received goes into a
 * queue that tests poll with a timeout.
 */
public final class TestClient implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final AtomicInteger tags = new AtomicInteger();
  private final WebSocket socket;
  private volatile String sessionId;

  private TestClient(URI uri, Map<String, String> headers) {
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
    headers.forEach(builder::header);
    this.socket = builder.buildAsync(uri, new Listener()).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  /** Connects to ws://127.0.0.1:port/ and waits for Welcome. */
  public static TestClient connect(int port) {
    return connect(port, Map.of());
  }

  public static TestClient connect(int port, Map<String, String> headers) {
    TestClient client = new TestClient(URI.create("ws://127.0.0.1:" + port + "/"), headers);
    JsonNode welcome = client.next();
    if (!"Welcome".equals(welcome.path("event").asText())) {
      throw new AssertionError("expected Welcome, got " + welcome);
    }
    client.sessionId = welcome.path("payload").path("id").asText();
    return client;
  }

  /** Connects without waiting for Welcome (for refused connections). */
  public static TestClient connectRaw(URI uri, Map<String, String> headers) {
    return new TestClient(uri, headers);
  }

  public String sessionId() {
    return sessionId;
  }

  /** Sends an action with a fresh numeric tag and returns the tag. */
  public int action(String action, Object payload) {
    int tag = tags.incrementAndGet();
    ObjectNode frame = MAPPER.createObjectNode();
    frame.put("action", action);
    frame.put("tag", tag);
    if (payload != null) {
      frame.set("payload", MAPPER.valueToTree(payload));
    }
    sendText(frame.toString());
    return tag;
  }

  /** Sends an action and returns the next frame carrying its tag. */
  public JsonNode call(String action, Object payload) {
    int tag = action(action, payload);
    return nextWithTag(tag);
  }

  public void sendText(String text) {
    socket.sendText(text, true).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  public void sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  /** The next frame; fails after {@link #TIMEOUT}. */
  public JsonNode next() {
    return next(TIMEOUT);
  }

  public JsonNode next(Duration timeout) {
    try {
      JsonNode frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null) {
        String closed = closeCode.isDone() ? ", closed with " + closeCode.getNow(null) : ", still open";
        throw new AssertionError("no frame within " + timeout.toMillis() + " ms (session " + sessionId + closed + ")");
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * The next frame, or null as soon as the connection is closed and every frame received before
   * the close was taken; fails after {@code timeout}.
   */
  public JsonNode nextUnlessClosed(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean closedBefore = closeCode.isDone();
      JsonNode frame = poll(Duration.ofMillis(closedBefore ? 0 : 50));
      if (frame != null) {
        return frame;
      }
      if (closedBefore) {
        return null;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no frame within " + timeout.toMillis() + " ms (session " + sessionId + ")");
      }
    }
  }

  /** The next frame with {@code event}, skipping others. */
  public JsonNode nextEvent(String event) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<JsonNode> skipped = new ArrayList<>();
    while (true) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        throw new AssertionError("no " + event + " frame within " + TIMEOUT.toMillis() + " ms; saw " + skipped);
      }
      JsonNode frame = next(Duration.ofNanos(remaining));
      if (event.equals(frame.path("event").asText())) {
        return frame;
      }
      skipped.add(frame);
    }
  }

  public JsonNode nextWithTag(int tag) {
    JsonNode frame = next();
    if (frame.path("tag").asInt(-1) != tag) {
      throw new AssertionError("expected a frame with tag " + tag + ", got " + frame);
    }
    return frame;
  }

  /** Null when no frame arrives within {@code quiet}: for asserting that nothing is sent. */
  public JsonNode poll(Duration quiet) {
    try {
      return frames.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Frames received so far and not consumed. */
  public List<JsonNode> drain() {
    List<JsonNode> list = new ArrayList<>();
    frames.drainTo(list);
    return list;
  }

  /** The close code the server sent, waiting at most {@link #TIMEOUT}. */
  public int awaitClose() {
    return awaitClose(TIMEOUT);
  }

  public int awaitClose(Duration timeout) {
    try {
      return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("connection not closed within " + timeout.toMillis() + " ms", e);
    }
  }

  public boolean isClosed() {
    return closeCode.isDone();
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> null);
    }
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          frames.add(MAPPER.readTree(text.toString()));
        } catch (Exception e) {
          frames.add(MAPPER.createObjectNode().put("event", "_unparseable").put("text", text.toString()));
        }
        text.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closeCode.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closeCode.complete(-1);
    }
  }
}
