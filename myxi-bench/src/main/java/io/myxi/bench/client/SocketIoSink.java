package io.myxi.bench.client;

import io.myxi.bench.Publisher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's side of the Socket.IO peer (bench/peers/socketio): one Socket.IO connection of
 * the driver's own, on which every event is sent as {@code 42["pub",KEY,BODY]}; the server emits
 * {@code BODY} to the room {@code KEY}. So, as with Myxi (whose publisher writes to RabbitMQ from the
 * driver), events come from another process and the server decodes and encodes each one.
 *
 * <p>Sends are serialised on this object's lock (the JDK allows one outstanding send per socket):
 * the publisher thread's events and the listener's pongs.
 */
public final class SocketIoSink implements Publisher.Sink, WebSocket.Listener {
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "socketio-publisher");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final WebSocket ws;
    private final StringBuilder partial = new StringBuilder();

    public SocketIoSink(URI uri) throws Exception {
        HttpClient http = HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(10)).build();
        ws = http.newWebSocketBuilder().buildAsync(uri, this).get(15, TimeUnit.SECONDS);
        connected.get(15, TimeUnit.SECONDS);
    }

    @Override
    public void publish(String key, byte[] body) {
        send("42[\"pub\",\"" + key + "\"," + new String(body, StandardCharsets.UTF_8) + "]");
    }

    private void send(String text) {
        send(ws, text);
    }

    // The listener passes its own WebSocket: the open packet can arrive before buildAsync has
    // completed and set the field (the first run of a session then never connected).
    private synchronized void send(WebSocket socket, String text) {
        socket.sendText(text, true).join();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String msg = partial.toString();
            partial.setLength(0);
            if (msg.equals("2")) {
                // Off the listener thread: a publish may hold the lock.
                CompletableFuture.runAsync(() -> send(webSocket, "3"));
            } else if (msg.startsWith("0{")) {
                CompletableFuture.runAsync(() -> send(webSocket, "40"));
            } else if (msg.startsWith("40")) {
                connected.complete(null);
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        connected.completeExceptionally(new IllegalStateException("closed: " + statusCode + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        connected.completeExceptionally(error);
    }

    @Override
    public void close() {
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            ws.abort();
        }
        executor.shutdownNow();
    }
}
