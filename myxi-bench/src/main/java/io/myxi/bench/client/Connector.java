package io.myxi.bench.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
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
 * Opens and closes thousands of {@link BenchClient}s from one JVM with few threads: a handful of
 * {@link HttpClient}s (each has one selector thread) sharing one small fixed executor for the
 * listener callbacks. Every wait is bounded.
 */
public final class Connector implements AutoCloseable {
    private final HttpClient[] http;
    private final ExecutorService executor;
    private final AtomicInteger next = new AtomicInteger();
    private final Duration connectTimeout;

    public Connector(int httpClients, int executorThreads, Duration connectTimeout) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "ws-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newFixedThreadPool(executorThreads, tf);
        this.http = new HttpClient[Math.max(1, httpClients)];
        for (int i = 0; i < http.length; i++) {
            http[i] = HttpClient.newBuilder().executor(executor).connectTimeout(connectTimeout).build();
        }
        this.connectTimeout = connectTimeout;
    }

    /** Starts one client; its {@code ready} future completes when it is subscribed to all its keys. */
    public CompletableFuture<BenchClient> connect(BenchClient c, URI uri, Duration setupTimeout) {
        c.connectStartNanos = System.nanoTime();
        HttpClient h = http[Math.floorMod(next.getAndIncrement(), http.length)];
        h.newWebSocketBuilder().connectTimeout(connectTimeout).buildAsync(uri, c).whenComplete((ws, e) -> {
            if (e != null) {
                c.error = e;
                c.ready.completeExceptionally(e);
                c.closed.complete(-3);
            }
        });
        c.ready.orTimeout(setupTimeout.toMillis(), TimeUnit.MILLISECONDS);
        return c.ready;
    }

    /** Result of connecting a set of clients. */
    public static final class StormResult {
        public int ok;
        public int failed;
        public long elapsedNanos;
        /** connect start to subscribed, per client, microseconds. */
        public final ConcurrentHistogram setupMicros = new ConcurrentHistogram(3_600_000_000L, 3);
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
            WebSocket w = c.webSocket();
            if (w == null || c.closed.isDone()) {
                continue;
            }
            if (c.slow && c.closeCode < 0) {
                w.abort();
                c.markAborted();
                continue;
            }
            try {
                w.sendClose(WebSocket.NORMAL_CLOSURE, "bench done");
            } catch (RuntimeException e) {
                w.abort();
                c.markAborted();
                continue;
            }
            fs.add(c.closed);
        }
        int aborted = 0;
        try {
            CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // fall through: abort the rest
        }
        for (BenchClient c : clients) {
            WebSocket w = c.webSocket();
            if (w != null && !c.closed.isDone()) {
                w.abort();
                c.markAborted();
                aborted++;
            }
        }
        return aborted;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
