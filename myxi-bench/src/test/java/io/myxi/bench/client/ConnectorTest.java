package io.myxi.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.myxi.bench.EpochClock;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both load-client libraries against a small server speaking the demo protocol on an ephemeral
 * port: set-up, events counted per key, a graceful close, an abort, and a close from the server.
 */
class ConnectorTest {
    private FakeNode server;
    private URI uri;

    @BeforeEach
    void start() throws Exception {
        server = new FakeNode();
        server.start();
        assertThat(server.started.await(10, TimeUnit.SECONDS)).isTrue();
        uri = URI.create("ws://127.0.0.1:" + server.getPort() + "/");
    }

    @AfterEach
    void stop() throws Exception {
        server.stop(2_000);
    }

    @ParameterizedTest
    @EnumSource(Connector.Kind.class)
    void clients_set_up_count_events_and_close(Connector.Kind kind) throws Exception {
        try (Connector connector = new Connector(kind, 1, 1, Duration.ofSeconds(5), 0)) {
            LoadMetrics metrics = new LoadMetrics();
            metrics.window(0, Long.MAX_VALUE);
            List<BenchClient> clients = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                clients.add(new BenchClient(i, "token", new String[] {"all", "own" + i}, false, metrics));
            }
            Connector.StormResult storm = connector.connectAll(clients, uri, 5, Duration.ofSeconds(10));
            assertThat(storm.ok).isEqualTo(20);
            assertThat(storm.failed).isZero();
            assertThat(server.subscribes).hasSize(40);

            server.broadcast(0, "all");
            server.broadcast(1, "all");
            server.broadcast(0, "own3");
            await().atMost(Duration.ofSeconds(10)).until(() -> metrics.frames.sum() >= 41);
            assertThat(metrics.frames.sum()).isEqualTo(41);
            assertThat(clients.get(3).tracker(1).maxSeq()).isZero();
            assertThat(clients.get(0).tracker(0).maxSeq()).isEqualTo(1);
            assertThat(metrics.badFrames.sum()).isZero();

            clients.get(0).abortNow();
            assertThat(clients.get(0).closed.get(5, TimeUnit.SECONDS)).isEqualTo(-2);
            server.closeOne(clients.get(1).sessionId, 4001);
            assertThat(clients.get(1).closed.get(5, TimeUnit.SECONDS)).isEqualTo(4001);
            assertThat(Connector.closeAll(clients, Duration.ofSeconds(5))).as("aborted after the timeout").isZero();
            assertThat(clients.get(2).closed.get(1, TimeUnit.SECONDS)).isEqualTo(1000);
        }
    }

    @ParameterizedTest
    @EnumSource(Connector.Kind.class)
    void a_refused_connection_fails_the_client(Connector.Kind kind) throws Exception {
        server.stop(2_000);
        try (Connector connector = new Connector(kind, 1, 1, Duration.ofSeconds(5), 0)) {
            BenchClient c = new BenchClient(0, "token", new String[] {"all"}, false, new LoadMetrics());
            Connector.StormResult storm = connector.connectAll(List.of(c), uri, 1, Duration.ofSeconds(5));
            assertThat(storm.failed).isEqualTo(1);
            assertThat(c.closed.get(5, TimeUnit.SECONDS)).isNegative();
        }
    }

    /** Welcome, Authenticated and Subscribed as the demo node answers them; events on demand. */
    private static final class FakeNode extends WebSocketServer {
        final CountDownLatch started = new CountDownLatch(1);
        final List<String> subscribes = java.util.Collections.synchronizedList(new ArrayList<>());
        private final java.util.Map<String, WebSocket> byId = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<String, List<WebSocket>> byKey = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();

        FakeNode() {
            super(new InetSocketAddress("127.0.0.1", 0));
            setReuseAddr(true);
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            String id = "s" + ids.incrementAndGet();
            byId.put(id, conn);
            conn.send("{\"event\":\"Welcome\",\"payload\":{\"id\":\"" + id + "\"}}");
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            String tag = message.replaceAll(".*\"tag\":(\\d+).*", "$1");
            if (message.contains("\"Authenticate\"")) {
                conn.send("{\"event\":\"Authenticated\",\"tag\":" + tag + ",\"payload\":{}}");
            } else if (message.contains("\"Subscribe\"")) {
                String key = message.replaceAll(".*\"routing_key\":\"([^\"]*)\".*", "$1");
                subscribes.add(key);
                byKey.computeIfAbsent(key, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(conn);
                conn.send("{\"event\":\"Subscribed\",\"tag\":" + tag + ",\"payload\":{\"routing_key\":\"" + key + "\"}}");
            }
        }

        void broadcast(int seq, String key) {
            String frame = "{\"event\":\"bench\",\"mq\":{\"e\":\"widgets\",\"rk\":\"" + key + "\"},\"payload\":{\"s\":" + seq
                    + ",\"t\":" + EpochClock.micros() + ",\"k\":\"" + key + "\"}}";
            for (WebSocket c : byKey.getOrDefault(key, List.of())) {
                c.send(frame);
            }
        }

        void closeOne(String sessionId, int code) {
            byId.get(sessionId).close(code, "slow consumer");
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
        }

        @Override
        public void onStart() {
            started.countDown();
        }
    }
}
