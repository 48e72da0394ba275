package io.myxi.bench.baseline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * S0: the baseline "node" — a bare Java-WebSocket server with no Myxi code, speaking just enough of
 * the demo protocol (Welcome, Authenticate, Subscribe) for the same load clients, and fed by the
 * same AMQP exchange through the same topology as Myxi (one exclusive server-named queue per
 * process, one binding per routing key in use, {@code Subscribed} only after bind-ok). Each event is
 * turned into its client frame once (string splice of the {@code mq} member) and that pre-encoded
 * frame is broadcast to the key's sessions with {@link #broadcast(String, java.util.Collection)},
 * which frames it once for all of them. TCP_NODELAY is on. So S0 and S1 differ only by Myxi.
 *
 * <p>Configured like the node: {@code MYXI_PORT} (default 8080) and {@code RABBITMQ_URL}. Binds
 * 127.0.0.1 only.
 */
public final class BaselineServer extends WebSocketServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EXCHANGE = "widgets";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Set<WebSocket>> subscribers = new ConcurrentHashMap<>();
    private final ExecutorService binder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "baseline-binder");
        t.setDaemon(true);
        return t;
    });
    private final Connection amqp;
    private final Channel bindChannel;
    private final String queue;
    private final AtomicLong delivered = new AtomicLong();

    /** Per-connection state, kept as the WebSocket's attachment. */
    private static final class Session {
        volatile boolean authenticated;
        final Set<String> keys = ConcurrentHashMap.newKeySet();
    }

    BaselineServer(InetSocketAddress address, String amqpUrl) throws Exception {
        super(address);
        setTcpNoDelay(true);
        setReuseAddr(true);
        setMaxPendingConnections(4096);
        setConnectionLostTimeout(0);
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(amqpUrl);
        this.amqp = f.newConnection("myxi-bench-baseline");
        Channel consume = amqp.createChannel();
        this.bindChannel = amqp.createChannel();
        consume.exchangeDeclare(EXCHANGE, "direct", false, false, null);
        this.queue = consume.queueDeclare("", false, true, true, null).getQueue();
        consume.basicConsume(queue, true, new DefaultConsumer(consume) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                deliver(env.getRoutingKey(), body);
            }
        });
    }

    private void deliver(String key, byte[] body) {
        Set<WebSocket> subs = subscribers.get(key);
        if (subs == null || subs.isEmpty()) {
            return;
        }
        String b = new String(body, StandardCharsets.UTF_8).trim();
        if (!b.endsWith("}")) {
            return;
        }
        String frame = b.substring(0, b.length() - 1) + ",\"mq\":{\"e\":\"" + EXCHANGE + "\",\"rk\":" + quote(key) + "}}";
        broadcast(frame, subs);
        delivered.addAndGet(subs.size());
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        conn.setAttachment(new Session());
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        StringBuilder hex = new StringBuilder();
        for (byte x : id) {
            hex.append(String.format("%02x", x));
        }
        conn.send("{\"event\":\"Welcome\",\"payload\":{\"id\":\"" + hex + "\"}}");
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        Session s = conn.getAttachment();
        JsonNode n;
        try {
            n = JSON.readTree(message);
        } catch (Exception e) {
            reply(conn, "Error", null, JSON.createObjectNode().put("error", "InvalidJSON"));
            return;
        }
        JsonNode tag = n.get("tag");
        JsonNode p = n.path("payload");
        switch (n.path("action").asText("")) {
            case "Authenticate":
                if (p.path("token").asText("").isEmpty()) {
                    reply(conn, "Error", tag, JSON.createObjectNode().put("error", "InvalidAuthentication"));
                } else {
                    s.authenticated = true;
                    reply(conn, "Authenticated", tag, JSON.createObjectNode().put("user", p.path("token").asText()));
                }
                break;
            case "Subscribe": {
                String key = p.path("routing_key").asText("");
                if (!s.authenticated) {
                    reply(conn, "Error", tag, JSON.createObjectNode().put("error", "AuthRequired"));
                } else if (!EXCHANGE.equals(p.path("exchange").asText())) {
                    reply(conn, "Error", tag, JSON.createObjectNode().put("error", "InvalidExchange"));
                } else if (key.isEmpty()) {
                    reply(conn, "Error", tag, JSON.createObjectNode().put("error", "InvalidRoutingKey"));
                } else {
                    binder.execute(() -> subscribe(conn, s, key, tag));
                }
                break;
            }
            case "Ping":
                reply(conn, "Pong", tag, JSON.createObjectNode().put("time", System.currentTimeMillis() / 1000));
                break;
            default:
                reply(conn, "Error", tag, JSON.createObjectNode().put("error", "InvalidAction"));
        }
    }

    /** Runs on the binder thread: binds on the first subscriber of a key, replies after bind-ok. */
    private void subscribe(WebSocket conn, Session s, String key, JsonNode tag) {
        if (!conn.isOpen()) {
            return;
        }
        if (!s.keys.add(key)) {
            reply(conn, "Error", tag, JSON.createObjectNode().put("error", "AlreadySubscribed"));
            return;
        }
        Set<WebSocket> subs = subscribers.get(key);
        if (subs == null) {
            try {
                bindChannel.queueBind(queue, EXCHANGE, key);
            } catch (Exception e) {
                s.keys.remove(key);
                reply(conn, "Error", tag, JSON.createObjectNode().put("error", "BrokerUnavailable"));
                return;
            }
            subs = ConcurrentHashMap.newKeySet();
            subscribers.put(key, subs);
        }
        subs.add(conn);
        reply(conn, "Subscribed", tag, JSON.createObjectNode().put("exchange", EXCHANGE).put("routing_key", key));
        if (!conn.isOpen()) {
            unsubscribeAll(conn, s);
        }
    }

    /** Runs on the binder thread: unbinds a key when its last subscriber leaves. */
    private void unsubscribeAll(WebSocket conn, Session s) {
        for (String key : s.keys) {
            Set<WebSocket> subs = subscribers.get(key);
            if (subs != null && subs.remove(conn) && subs.isEmpty()) {
                subscribers.remove(key);
                try {
                    bindChannel.queueUnbind(queue, EXCHANGE, key);
                } catch (Exception e) {
                    System.err.println("unbind " + key + " failed: " + e);
                }
            }
        }
        s.keys.clear();
    }

    private static void reply(WebSocket conn, String event, JsonNode tag, ObjectNode payload) {
        ObjectNode r = JSON.createObjectNode().put("event", event);
        if (tag != null) {
            r.set("tag", tag);
        }
        r.set("payload", payload);
        try {
            conn.send(r.toString());
        } catch (RuntimeException e) {
            // connection went away
        }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        Session s = conn.getAttachment();
        if (s != null) {
            binder.execute(() -> unsubscribeAll(conn, s));
        }
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        if (conn == null) {
            System.err.println("baseline server error: " + ex);
        }
    }

    @Override
    public void onStart() {
        System.out.println("baseline server listening on " + getAddress() + ", queue " + queue);
    }

    void shutdown() {
        try {
            stop(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            amqp.close(2_000);
        } catch (Exception e) {
            // best effort
        }
        binder.shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int port = Integer.parseInt(System.getenv().getOrDefault("MYXI_PORT", "8080"));
        String url = System.getenv().getOrDefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672");
        BaselineServer server = new BaselineServer(new InetSocketAddress("127.0.0.1", port), url);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "baseline-shutdown"));
        server.run();
    }
}
