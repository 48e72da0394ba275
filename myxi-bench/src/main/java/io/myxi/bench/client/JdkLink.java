package io.myxi.bench.client;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link BenchClient} on the JDK's non-blocking {@link WebSocket}. While the client sets up it
 * asks for one message at a time; once told to {@link #readAll()} it asks for {@code Long.MAX_VALUE}.
 * A slow client asks for nothing more, so the JDK stops reading its socket.
 */
final class JdkLink implements ClientLink, WebSocket.Listener {
    private final BenchClient client;
    private volatile WebSocket ws;
    private StringBuilder partial;
    private CompletableFuture<WebSocket> sendChain = CompletableFuture.completedFuture(null);

    JdkLink(BenchClient client) {
        this.client = client;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        this.ws = webSocket;
        client.opened(this);
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (!last) {
            if (partial == null) {
                partial = new StringBuilder(data.length() * 2);
            }
            partial.append(data);
            if (!client.isReady()) {
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
        client.onMessage(msg.toString());
        if (!client.isReady()) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        // The protocol reads binary frames as UTF-8 text; the bench servers only send text.
        byte[] b = new byte[data.remaining()];
        data.get(b);
        return onText(webSocket, new String(b, StandardCharsets.UTF_8), last);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        client.onClosed(statusCode, reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable e) {
        client.onFailed(e);
    }

    @Override
    public synchronized void send(String text) {
        // The next action is sent after the previous one's reply, but the JDK may not have completed the
        // previous send's future yet ("Send pending"): chain the sends so they never overlap.
        WebSocket w = ws;
        sendChain = sendChain.thenCompose(x -> w.sendText(text, true));
        sendChain.whenComplete((x, e) -> {
            if (e != null) {
                client.fail(e);
            }
        });
    }

    @Override
    public void close(int code, String reason) {
        WebSocket w = ws;
        try {
            w.sendClose(code, reason).whenComplete((x, e) -> {
                if (e != null) {
                    client.abortNow();
                }
            });
        } catch (RuntimeException e) {
            client.abortNow();
        }
    }

    @Override
    public void abort() {
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
    }

    @Override
    public void readAll() {
        ws.request(Long.MAX_VALUE);
    }

    @Override
    public void stopReading() {
        // Nothing to do: the JDK reads only what was requested, and nothing more is.
    }
}
