package io.myxi.bench.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.bench.EpochClock;
import io.myxi.bench.report.FrameScanner;
import io.myxi.bench.report.SeqTracker;
import java.util.concurrent.CompletableFuture;

/**
 * One load client: waits for {@code Welcome}, authenticates, subscribes to its keys one after
 * another, then counts event frames. The socket is a {@link ClientLink} (the JDK's WebSocket or
 * Netty's, see {@link Connector}).
 *
 * <p>Flow control: once subscribed a reading client reads everything as it arrives; a <em>slow</em>
 * client stops reading its socket, so the server's writes to it back up. {@link #resumeReading()}
 * lets a slow client drain afterwards (to see how it was closed).
 */
public final class BenchClient {
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
    private volatile ClientLink link;
    private int subscribedCount;
    private volatile boolean isReady;
    public volatile long connectStartNanos;
    public volatile long readyNanos;
    public volatile long welcomeNanos;
    /** When the WebSocket opened, and when authentication was answered (0 until then): see {@link SetupPhases}. */
    public volatile long openNanos;
    public volatile long authenticatedNanos;
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

    /** The socket, once open (null before). */
    public ClientLink link() {
        return link;
    }

    public boolean isReady() {
        return isReady;
    }

    public LoadMetrics metrics() {
        return metrics;
    }

    /** The WebSocket is open (called by the link, before any message). */
    void opened(ClientLink link) {
        openNanos = System.nanoTime();
        this.link = link;
    }

    /** One whole text message (called by the link, in order, never concurrently). */
    void onMessage(String msg) {
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
            onSocketIoControl(msg);
        } else {
            onControl(msg);
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

    private void onControl(String text) {
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
                send("{\"action\":\"Authenticate\",\"tag\":1,\"payload\":{\"token\":\"" + token + "\"}}");
                break;
            case "Authenticated":
                authenticatedNanos = System.nanoTime();
                subscribeNext();
                break;
            case "Subscribed":
                onSubscribed();
                break;
            default:
                metrics.otherFrames.increment();
                if (!isReady) {
                    fail(new IllegalStateException("unexpected reply while setting up: " + text));
                }
        }
    }

    /** Engine.IO / Socket.IO packets other than events. */
    private void onSocketIoControl(String text) {
        if (text.equals("2")) {
            send("3"); // Engine.IO ping -> pong
        } else if (text.startsWith("0{")) {
            welcomeNanos = System.nanoTime();
            send("40"); // Engine.IO open -> Socket.IO connect to the default namespace
        } else if (text.startsWith("40")) {
            authenticatedNanos = System.nanoTime();
            subscribeNext(); // connected; Socket.IO has no authentication step here
        } else if (text.startsWith("43")) {
            onSubscribed(); // ack of a join
        } else {
            metrics.otherFrames.increment();
            if (!isReady) {
                fail(new IllegalStateException("unexpected Socket.IO packet while setting up: " + text));
            }
        }
    }

    private void onSubscribed() {
        if (subscribedCount < keys.length) {
            subscribedAtMicros[subscribedCount] = EpochClock.micros();
            subscribedCount++;
        }
        if (subscribedCount < keys.length) {
            subscribeNext();
        } else {
            readyNanos = System.nanoTime();
            isReady = true;
            if (slow) {
                link.stopReading();
            } else {
                link.readAll();
            }
            ready.complete(this);
        }
    }

    private void subscribeNext() {
        int i = subscribedCount;
        if (protocol == Protocol.SOCKET_IO) {
            send("42" + (1 + i) + "[\"join\",\"" + keys[i] + "\"]");
            return;
        }
        send("{\"action\":\"Subscribe\",\"tag\":" + (2 + i) + ",\"payload\":{\"exchange\":\"" + EXCHANGE
                + "\",\"routing_key\":\"" + keys[i] + "\"}}");
    }

    private void send(String text) {
        link.send(text);
    }

    void fail(Throwable e) {
        if (error == null) {
            error = e;
        }
        ready.completeExceptionally(e);
    }

    /** Lets a slow client read everything that was waiting (and see its close frame). */
    public void resumeReading() {
        ClientLink l = link;
        if (l != null) {
            l.readAll();
        }
    }

    /** The server's close frame arrived (called by the link). */
    void onClosed(int statusCode, String reason) {
        closeCode = statusCode;
        closeReason = reason;
        ready.completeExceptionally(new IllegalStateException("closed by server: " + statusCode + " " + reason));
        closed.complete(statusCode);
    }

    /** The connection failed or dropped without a close frame (called by the link). */
    void onFailed(Throwable e) {
        fail(e);
        closed.complete(-1);
    }

    /** The connection could not be opened (refused, timed out, handshake failed). */
    void connectFailed(Throwable e) {
        error = e;
        ready.completeExceptionally(e);
        closed.complete(-3);
    }

    /** Marks the client gone after a local abort (no close frame will come). */
    void markAborted() {
        closed.complete(-2);
    }

    /** Drops the TCP connection without a close handshake (a vanished browser). */
    public void abortNow() {
        // Marked first: dropping the socket may report it closed at once (on Netty's event loop).
        markAborted();
        ClientLink l = link;
        if (l != null) {
            l.abort();
        }
    }

    /** Starts a close handshake (1000); falls back to an abort if it cannot be sent. */
    public void closeGracefully() {
        ClientLink l = link;
        if (l == null) {
            markAborted();
            return;
        }
        l.close(1000, "bye");
    }
}
