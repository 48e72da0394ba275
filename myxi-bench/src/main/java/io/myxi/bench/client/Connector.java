package io.myxi.bench.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Opens and closes thousands of {@link BenchClient}s from one JVM with few threads, on one of two
 * WebSocket clients:
 * <ul>
 *   <li>{@link Kind#JDK}: a handful of {@link HttpClient}s (each has one selector thread) sharing one
 *       small fixed executor for the listener callbacks;</li>
 *   <li>{@link Kind#NETTY}: Netty's WebSocket codec on a few event loops, where the clients' callbacks
 *       run too; much less CPU per connect and per message, which leaves the machine's cores to the
 *       servers measured.</li>
 * </ul>
 * Every wait is bounded.
 */
public final class Connector implements AutoCloseable {
    /** Which WebSocket client library carries the load clients. */
    public enum Kind { JDK, NETTY }

    private final Kind kind;
    private final HttpClient[] http;
    private final ExecutorService executor;
    private final NettyClients netty;
    private final AtomicInteger next = new AtomicInteger();
    private final Duration connectTimeout;

    public Connector(Kind kind, int httpClients, int threads, Duration connectTimeout, int receiveBuffer) {
        this.kind = kind;
        this.connectTimeout = connectTimeout;
        if (kind == Kind.NETTY) {
            this.netty = new NettyClients(threads, connectTimeout, receiveBuffer);
            this.executor = null;
            this.http = new HttpClient[0];
            return;
        }
        this.netty = null;
        if (receiveBuffer > 0) {
            System.setProperty("jdk.httpclient.receiveBufferSize", Integer.toString(receiveBuffer));
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "ws-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newFixedThreadPool(threads, tf);
        this.http = new HttpClient[Math.max(1, httpClients)];
        for (int i = 0; i < http.length; i++) {
            http[i] = HttpClient.newBuilder().executor(executor).connectTimeout(connectTimeout).build();
        }
    }

    public Kind kind() {
        return kind;
    }

    /** Starts one client; its {@code ready} future completes when it is subscribed to all its keys. */
    public CompletableFuture<BenchClient> connect(BenchClient c, URI uri, Duration setupTimeout) {
        c.connectStartNanos = System.nanoTime();
        c.ready.orTimeout(setupTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (netty != null) {
            netty.connect(c, uri);
            return c.ready;
        }
        HttpClient h = http[Math.floorMod(next.getAndIncrement(), http.length)];
        h.newWebSocketBuilder().connectTimeout(connectTimeout).buildAsync(uri, new JdkLink(c)).whenComplete((ws, e) -> {
            if (e != null) {
                c.connectFailed(e);
            }
        });
        return c.ready;
    }

    /** Result of connecting a set of clients. */
    public static final class StormResult {
        public int ok;
        public int failed;
        public long elapsedNanos;
        /** connect start to subscribed, per client, microseconds. */
        public final ConcurrentHistogram setupMicros = new ConcurrentHistogram(3_600_000_000L, 3);
        public final SetupPhases phases = new SetupPhases();
        public final List<String> sampleErrors = new ArrayList<>();
    }

    /**
     * Connects all clients with at most {@code concurrency} set-ups in flight and waits (bounded by
     * {@code setupTimeout} per client) until each is subscribed or failed.
     */
    public StormResult connectAll(List<BenchClient> clients, URI uri, int concurrency, Duration setupTimeout)
            throws InterruptedException {
        StormResult r = new StormResult();
        Semaphore permits = new Semaphore(Math.max(1, concurrency));
        long start = System.nanoTime();
        List<CompletableFuture<BenchClient>> fs = new ArrayList<>(clients.size());
        for (BenchClient c : clients) {
            if (!permits.tryAcquire(setupTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("connect permits not released in time");
            }
            CompletableFuture<BenchClient> f = connect(c, uri, setupTimeout);
            f.whenComplete((x, e) -> permits.release());
            fs.add(f);
        }
        for (int i = 0; i < fs.size(); i++) {
            BenchClient c = clients.get(i);
            try {
                fs.get(i).get(setupTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
                r.ok++;
                r.setupMicros.recordValue(Math.max(0, (c.readyNanos - c.connectStartNanos) / 1_000));
                r.phases.record(c);
            } catch (Exception e) {
                r.failed++;
                if (r.sampleErrors.size() < 5) {
                    Throwable t = c.error != null ? c.error : e;
                    r.sampleErrors.add(String.valueOf(t));
                }
            }
        }
        long lastReady = start;
        for (BenchClient c : clients) {
            if (c.isReady()) {
                lastReady = Math.max(lastReady, c.readyNanos);
            }
        }
        r.elapsedNanos = lastReady - start;
        return r;
    }

    /**
     * Closes clients: a close handshake for the reading ones (then an abort for any that did not
     * finish within {@code timeout}); slow (non-reading) clients are aborted at once.
     */
    public static int closeAll(List<BenchClient> clients, Duration timeout) {
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (BenchClient c : clients) {
            ClientLink link = c.link();
            if (link == null || c.closed.isDone()) {
                continue;
            }
            if (c.slow && c.closeCode < 0) {
                c.abortNow();
                continue;
            }
            link.close(1000, "bench done");
            fs.add(c.closed);
        }
        int aborted = 0;
        try {
            CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // fall through: abort the rest
        }
        for (BenchClient c : clients) {
            ClientLink link = c.link();
            if (link != null && !c.closed.isDone()) {
                c.abortNow();
                aborted++;
            }
        }
        return aborted;
    }

    @Override
    public void close() {
        if (netty != null) {
            netty.close();
        } else {
            executor.shutdownNow();
        }
    }
}
