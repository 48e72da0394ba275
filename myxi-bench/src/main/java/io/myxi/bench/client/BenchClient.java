package io.myxi.bench.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.bench.EpochClock;
import io.myxi.bench.report.FrameScanner;
import io.myxi.bench.report.SeqTracker;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One load client on the JDK's non-blocking {@link WebSocket}: waits for {@code Welcome},
 * authenticates, subscribes to its keys one after another, then counts event frames.
 *
 * <p>Flow control: while setting up it asks for one message at a time; once subscribed a reading
 * client asks for {@code Long.MAX_VALUE} (it reads everything as it arrives), a <em>slow</em>
 * client asks for nothing more, so the JDK stops reading its socket and the server's writes to it
 * back up. {@link #resumeReading()} lets a slow client drain afterwards (to see how it was closed).
 */
public final class BenchClient implements WebSocket.Listener {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String EXCHANGE = "widgets";

    public final int id;
    public final String token;
    public final String[] keys;
    public final boolean slow;
    /** The wire protocol: Myxi's, or Socket.IO's (Engine.IO v4 over WebSocket) against the peer server. */
    public final Protocol protocol;
    private final LoadMetrics metrics;
    private final SeqTracker[] trackers;
    private final long[] subscribedAtMicros;

    public final CompletableFuture<BenchClient> ready = new CompletableFuture<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile WebSocket ws;
    private StringBuilder partial;
    private CompletableFuture<WebSocket> sendChain = CompletableFuture.completedFuture(null);
    private int subscribedCount;
    private volatile boolean isReady;
    public volatile long connectStartNanos;
    public volatile long readyNanos;
    public volatile long welcomeNanos;
    public volatile int closeCode = -1;
    public volatile String closeReason;
    public volatile Throwable error;
    public volatile String sessionId;

    /** What a client speaks. */
    public enum Protocol {
        /** The Myxi demo protocol: Welcome, Authenticate, Subscribe. */
        MYXI,
        /**
         * Socket.IO 4 (bench/peers/socketio): Engine.IO open {@code 0{..}}, connect {@code 40}, then per key
         * {@code 42N["join",KEY]} acknowledged by {@code 43N[true]}; events arrive as {@code 42["m",BODY]};
         * pings {@code 2} are answered with {@code 3}.
         */
        SOCKET_IO
    }

    public BenchClient(int id, String token, String[] keys, boolean slow, LoadMetrics metrics) {
        this(id, token, keys, slow, metrics, Protocol.MYXI);
    }

    public BenchClient(int id, String token, String[] keys, boolean slow, LoadMetrics metrics, Protocol protocol) {
        this.protocol = protocol;
        this.id = id;
        this.token = token;
        this.keys = keys;
        this.slow = slow;
        this.metrics = metrics;
        this.trackers = new SeqTracker[keys.length];
        for (int i = 0; i < keys.length; i++) {
            trackers[i] = new SeqTracker();
        }
        this.subscribedAtMicros = new long[keys.length];
    }

    public SeqTracker tracker(int keyIndex) {
        return trackers[keyIndex];
    }

    /** Epoch micros at which the {@code Subscribed} reply for {@code keys[i]} arrived (0 if not yet). */
    public long subscribedAtMicros(int keyIndex) {
        return subscribedAtMicros[keyIndex];
    }

    public WebSocket webSocket() {
        return ws;
    }

    public boolean isReady() {
        return isReady;
    }

    public LoadMetrics metrics() {
        return metrics;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        this.ws = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (!last) {
            if (partial == null) {
                partial = new StringBuilder(data.length() * 2);
            }
            partial.append(data);
            if (!isReady) {
                webSocket.request(1);
            }
            return null;
        }
        CharSequence msg = data;
        if (partial != null) {
            partial.append(data);
            msg = partial;
            partial = null;
        }
        onMessage(webSocket, msg);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        // The protocol reads binary frames as UTF-8 text; the bench servers only send text.
        byte[] b = new byte[data.remaining()];
        data.get(b);
        return onText(webSocket, new String(b, StandardCharsets.UTF_8), last);
    }

    private void onMessage(WebSocket webSocket, CharSequence text) {
        String msg = text.toString();
        if (FrameScanner.isEvent(msg, "bench")) {
            long recv = EpochClock.micros();
            long seq = FrameScanner.payloadLong(msg, "s");
            long t = FrameScanner.payloadLong(msg, "t");
            int k = keyIndex(msg);
            if (seq < 0 || seq > Integer.MAX_VALUE || t == Long.MIN_VALUE || k < 0) {
                metrics.badFrames.increment();
            } else {
                trackers[k].record((int) seq);
                metrics.onEvent(t, recv);
            }
        } else if (protocol == Protocol.SOCKET_IO) {
            onSocketIoControl(webSocket, msg);
        } else {
            onControl(webSocket, msg);
        }
        if (!isReady) {
            webSocket.request(1);
        }
    }

    private int keyIndex(String msg) {
        if (keys.length == 1) {
            return FrameScanner.payloadStringEquals(msg, "k", keys[0]) ? 0 : -1;
        }
        for (int i = 0; i < keys.length; i++) {
            if (FrameScanner.payloadStringEquals(msg, "k", keys[i])) {
                return i;
            }
        }
        return -1;
    }

    private void onControl(WebSocket webSocket, String text) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (Exception e) {
            fail(new IllegalStateException("unparsable frame: " + text));
            return;
        }
        String event = n.path("event").asText("");
        switch (event) {
            case "Welcome":
                welcomeNanos = System.nanoTime();
                sessionId = n.path("payload").path("id").asText(null);
                send(webSocket, "{\"action\":\"Authenticate\",\"tag\":1,\"payload\":{\"token\":\"" + token + "\"}}");
                break;
            case "Authenticated":
                subscribeNext(webSocket);
                break;
            case "Subscribed":
                onSubscribed(webSocket);
                break;
            default:
                metrics.otherFrames.increment();
                if (!isReady) {
                    fail(new IllegalStateException("unexpected reply while setting up: " + text));
                }
        }
    }

    /** Engine.IO / Socket.IO packets other than events. */
    private void onSocketIoControl(WebSocket webSocket, String text) {
        if (text.equals("2")) {
            send(webSocket, "3"); // Engine.IO ping -> pong
        } else if (text.startsWith("0{")) {
            welcomeNanos = System.nanoTime();
            send(webSocket, "40"); // Engine.IO open -> Socket.IO connect to the default namespace
        } else if (text.startsWith("40")) {
            subscribeNext(webSocket); // connected; Socket.IO has no authentication step here
        } else if (text.startsWith("43")) {
            onSubscribed(webSocket); // ack of a join
        } else {
            metrics.otherFrames.increment();
            if (!isReady) {
                fail(new IllegalStateException("unexpected Socket.IO packet while setting up: " + text));
            }
        }
    }

    private void onSubscribed(WebSocket webSocket) {
        if (subscribedCount < keys.length) {
            subscribedAtMicros[subscribedCount] = EpochClock.micros();
            subscribedCount++;
        }
        if (subscribedCount < keys.length) {
            subscribeNext(webSocket);
        } else {
            readyNanos = System.nanoTime();
            isReady = true;
            if (!slow) {
                webSocket.request(Long.MAX_VALUE);
            }
            ready.complete(this);
        }
    }

    private void subscribeNext(WebSocket webSocket) {
        int i = subscribedCount;
        if (protocol == Protocol.SOCKET_IO) {
            send(webSocket, "42" + (1 + i) + "[\"join\",\"" + keys[i] + "\"]");
            return;
        }
        send(webSocket, "{\"action\":\"Subscribe\",\"tag\":" + (2 + i) + ",\"payload\":{\"exchange\":\"" + EXCHANGE
                + "\",\"routing_key\":\"" + keys[i] + "\"}}");
    }

    private void send(WebSocket webSocket, String text) {
        // The next action is sent after the previous one's reply, but the JDK may not have completed the
        // previous send's future yet ("Send pending"): chain the sends so they never overlap.
        sendChain = sendChain.thenCompose(w -> webSocket.sendText(text, true));
        sendChain.whenComplete((w, e) -> {
            if (e != null) {
                fail(e);
            }
        });
    }

    private void fail(Throwable e) {
        if (error == null) {
            error = e;
        }
        ready.completeExceptionally(e);
    }

    /** Lets a slow client read everything that was waiting (and see its close frame). */
    public void resumeReading() {
        WebSocket w = ws;
        if (w != null) {
            w.request(Long.MAX_VALUE);
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode = statusCode;
        closeReason = reason;
        ready.completeExceptionally(new IllegalStateException("closed by server: " + statusCode + " " + reason));
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable e) {
        fail(e);
        closed.complete(-1);
    }

    /** Marks the client gone after a local abort (no onClose will come). */
    void markAborted() {
        closed.complete(-2);
    }

    /** Drops the TCP connection without a close handshake (a vanished browser). */
    public void abortNow() {
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
        markAborted();
    }

    /** Starts a close handshake (1000); falls back to an abort if it cannot be sent. */
    public void closeGracefully() {
        WebSocket w = ws;
        if (w == null) {
            markAborted();
            return;
        }
        try {
            w.sendClose(WebSocket.NORMAL_CLOSURE, "bye").whenComplete((x, e) -> {
                if (e != null) {
                    abortNow();
                }
            });
        } catch (RuntimeException e) {
            abortNow();
        }
    }
}
