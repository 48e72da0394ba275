package io.myxi.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.client.LoadMetrics;
import io.myxi.bench.client.SocketIoSink;
import io.myxi.bench.proc.Jcmd;
import io.myxi.bench.proc.NodeProcess;
import io.myxi.bench.proc.ProcFs;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.ResultsTable;
import io.myxi.bench.report.SeqTracker;
import io.myxi.bench.report.Stats;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Runs scenarios: starts the server under test (fresh per run), connects the load clients,
 * publishes open-loop, measures, checks RabbitMQ, tears down, and appends one JSON line per run.
 */
public final class Harness implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyMMddHHmmss").withZone(ZoneOffset.UTC);

    final Options o;
    private final Connector connector;
    private final List<JsonNode> written = new ArrayList<>();
    private final long rabbitPid;

    public Harness(Options o) {
        this.o = o;
        if (o.clientRcvbuf > 0) {
            System.setProperty("jdk.httpclient.receiveBufferSize", Integer.toString(o.clientRcvbuf));
        }
        this.connector = new Connector(o.httpClients, o.clientThreads, Duration.ofSeconds(30));
        this.rabbitPid = ProcFs.findPidByComm("beam.smp");
    }

    @Override
    public void close() {
        connector.close();
    }

    /** The markdown summary of the runs this harness wrote. */
    public String summary() {
        return ResultsTable.markdown(written);
    }

    // ------------------------------------------------------------------ one run

    /** Resources of the node, the driver and RabbitMQ at one instant. */
    record Snap(long wallNanos, long nodeCpuUs, long selfCpuUs, long rabbitCpuUs, long machineBusyUs, long frames) {
    }

    /** The node of the run in progress, stopped by a shutdown hook if the driver is interrupted. */
    private static volatile NodeProcess currentNode;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            NodeProcess n = currentNode;
            if (n != null) {
                n.close();
            }
        }, "bench-stop-node"));
    }

    /**
     * Waits (bounded by --quiet-wait) until the machine is quiet: its total CPU use over 2 s below
     * --quiet-below % of one core. Returns {background_cpu_pct, quiet_wait_s}.
     */
    Map<String, Object> awaitQuiet() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + (long) (o.quietWait * 1e9);
        double pct;
        do {
            long b0 = ProcFs.machineBusyMicros();
            long t0 = System.nanoTime();
            Thread.sleep(2_000);
            long b1 = ProcFs.machineBusyMicros();
            pct = 100.0 * (b1 - b0) / ((System.nanoTime() - t0) / 1e3);
        } while (pct >= o.quietBelow && System.nanoTime() < deadline);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("background_cpu_pct", Stats.round(pct, 1));
        m.put("quiet_wait_s", Stats.round((System.nanoTime() - start) / 1e9, 1));
        m.put("quiet", pct < o.quietBelow);
        return m;
    }

    /** State of one run: node process, key prefix, the record being built. */
    final class Run implements AutoCloseable {
        final String scenario;
        final String variant;
        final int index;
        final String runId;
        final String prefix;
        final Map<String, Object> record = new LinkedHashMap<>();
        final Map<String, Object> summary = new LinkedHashMap<>();
        NodeProcess node;
        int port;
        URI uri;

        Run(String scenario, String variant, int index) {
            this.scenario = scenario;
            this.variant = variant;
            this.index = index;
            this.runId = ID.format(Instant.now()) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
            this.prefix = "bench-" + runId + "-";
            record.put("scenario", scenario);
            record.put("target", o.resolvedTarget());
            record.put("variant", variant);
            record.put("run", index);
            record.put("run_id", runId);
            record.put("started_at", Instant.now().toString());
            record.put("host", host());
        }

        void startNode() throws Exception {
            port = o.port > 0 ? o.port : freePort();
            uri = URI.create("ws://127.0.0.1:" + port + (o.isSocketIo() ? "/socket.io/?EIO=4&transport=websocket" : "/"));
            Map<String, Object> before = RabbitCtl.snapshot(BenchClient.EXCHANGE, prefix);
            record.put("rabbit_before", before);
            Map<String, Object> quiet = awaitQuiet();
            record.put("machine_before", quiet);
            if (!Boolean.TRUE.equals(quiet.get("quiet"))) {
                System.out.println("[bench] machine busy (" + quiet.get("background_cpu_pct") + "% of a core) after "
                        + o.quietWait + " s of waiting: running anyway");
            }
            Path log = Path.of(o.logDir, scenario + "-" + runId + ".log");
            node = NodeProcess.start(o.resolvedNodeCommand(), port, o.amqpUrl, log, Map.of());
            currentNode = node;
            node.awaitPort(60_000);
            awaitProtocolReady();
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("command", node.command());
            n.put("jvm_flags", o.nodeJvmFlags);
            n.put("pid", node.pid());
            n.put("vm_flags", o.isSocketIo() ? null : Jcmd.vmFlags(node.pid()));
            n.put("log", log.toString());
            record.put("node", n);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("jvm_flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
            d.put("http_clients", o.httpClients);
            d.put("client_threads", o.clientThreads);
            d.put("client_rcvbuf", o.clientRcvbuf);
            record.put("driver", d);
        }

        /** A probe client must get through Welcome/Authenticate/Subscribe (the node may still be connecting to RabbitMQ). */
        private void awaitProtocolReady() throws Exception {
            long deadline = System.currentTimeMillis() + 60_000;
            Exception last = null;
            int attempt = 0;
            while (System.currentTimeMillis() < deadline) {
                BenchClient probe = new BenchClient(-1, o.token, new String[] {"probe-" + runId + "-" + attempt++}, false, new LoadMetrics(), protocol());
                try {
                    connector.connect(probe, uri, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
                    Connector.closeAll(List.of(probe), Duration.ofSeconds(5));
                    return;
                } catch (Exception e) {
                    last = e;
                    probe.abortNow();
                    if (!node.isAlive()) {
                        break;
                    }
                    Thread.sleep(500);
                }
            }
            throw new IOException("node never accepted a subscribed client: " + last + "; see " + node.log());
        }

        Snap snap(LoadMetrics... ms) {
            long frames = 0;
            for (LoadMetrics m : ms) {
                frames += m.frames.sum();
            }
            return new Snap(System.nanoTime(), cpu(node.pid()), cpu(ProcessHandle.current().pid()),
                    rabbitPid > 0 ? cpu(rabbitPid) : -1, ProcFs.machineBusyMicros(), frames);
        }

        long rssKb() {
            try {
                return ProcFs.rssKb(node.pid());
            } catch (IOException e) {
                return -1;
            }
        }

        long heapKbAfterGc() {
            if (o.isSocketIo()) {
                return -1; // not a JVM
            }
            long b = Jcmd.heapUsedAfterGc(node.pid());
            return b < 0 ? -1 : b / 1024;
        }

        /** Empty-node baseline: settle, full GC, heap in use and RSS. */
        Map<String, Long> emptyNode() throws InterruptedException {
            sleepSeconds(o.settle);
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("heap_kb", heapKbAfterGc());
            m.put("rss_kb", rssKb());
            return m;
        }

        void write() throws IOException {
            Object other = summary.get("other_cpu_pct");
            boolean noisy = other instanceof Number n && n.doubleValue() > o.maxOtherCpu;
            record.put("noisy", noisy);
            if (noisy) {
                summary.put("noisy", true);
            }
            record.put("summary", summary);
            appendResult(record);
            System.out.println("[bench] " + scenario + " " + o.resolvedTarget() + " " + variant + " run " + index + ": "
                    + JSON.writeValueAsString(summary));
        }

        @Override
        public void close() {
            if (node != null) {
                node.close();
                currentNode = null;
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    BenchClient.Protocol protocol() {
        return o.isSocketIo() ? BenchClient.Protocol.SOCKET_IO : BenchClient.Protocol.MYXI;
    }

    /** The open-loop publisher of a run: to RabbitMQ, or on a Socket.IO connection of its own for the peer. */
    Publisher newPublisher(Run run) throws Exception {
        return o.isSocketIo() ? new Publisher(new SocketIoSink(run.uri)) : new Publisher(o.amqpUrl, BenchClient.EXCHANGE);
    }

    static long cpu(long pid) {
        try {
            return ProcFs.cpuMicros(pid);
        } catch (IOException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void sleepSeconds(double s) throws InterruptedException {
        Thread.sleep((long) (s * 1000));
    }

    static void sleepUntilMicros(long epochMicros) throws InterruptedException {
        long d = epochMicros - EpochClock.micros();
        if (d > 0) {
            Thread.sleep(d / 1000, (int) (d % 1000) * 1000);
        }
    }

    private static Map<String, Object> host;

    static synchronized Map<String, Object> host() {
        if (host == null) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("cores", Runtime.getRuntime().availableProcessors());
            try {
                String mem = Files.readString(Path.of("/proc/meminfo"));
                h.put("mem_total_kb", ProcFs.parseStatusKb(mem, "MemTotal"));
                String cpu = Files.readString(Path.of("/proc/cpuinfo"));
                cpu.lines().filter(l -> l.startsWith("model name")).findFirst()
                        .ifPresent(l -> h.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
            } catch (IOException e) {
                // leave out
            }
            h.put("kernel", System.getProperty("os.version"));
            h.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
            host = h;
        }
        return host;
    }

    static Map<String, Object> storm(Connector.StormResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", r.ok);
        m.put("failed", r.failed);
        m.put("elapsed_ms", Stats.round(r.elapsedNanos / 1e6, 1));
        Map<String, Object> lat = Stats.latencyMs(r.setupMicros);
        lat.remove("count");
        m.put("setup_latency", lat);
        if (!r.sampleErrors.isEmpty()) {
            m.put("errors", r.sampleErrors);
        }
        return m;
    }

    static Map<String, Object> resources(Snap a, Snap b, long frames) {
        Map<String, Object> m = new LinkedHashMap<>();
        double wallUs = (b.wallNanos() - a.wallNanos()) / 1e3;
        long nodeCpu = b.nodeCpuUs() - a.nodeCpuUs();
        m.put("window_s", Stats.round(wallUs / 1e6, 3));
        m.put("node_cpu_ms", Stats.round(nodeCpu / 1e3, 1));
        m.put("node_cpu_pct", Stats.num(100.0 * nodeCpu / wallUs, 1));
        m.put("node_cpu_us_per_frame", frames > 0 ? Stats.num((double) nodeCpu / frames, 3) : null);
        m.put("driver_cpu_pct", Stats.num(100.0 * (b.selfCpuUs() - a.selfCpuUs()) / wallUs, 1));
        long rabbitCpu = a.rabbitCpuUs() < 0 ? 0 : b.rabbitCpuUs() - a.rabbitCpuUs();
        m.put("rabbit_cpu_pct", a.rabbitCpuUs() < 0 ? null : Stats.num(100.0 * rabbitCpu / wallUs, 1));
        m.put("rabbit_cpu_us_per_frame", a.rabbitCpuUs() < 0 || frames <= 0 ? null : Stats.num((double) rabbitCpu / frames, 3));
        long machine = b.machineBusyUs() - a.machineBusyUs();
        m.put("machine_cpu_pct", Stats.num(100.0 * machine / wallUs, 1));
        // CPU used by anything else on the (possibly shared) machine during the window.
        long other = machine - nodeCpu - (b.selfCpuUs() - a.selfCpuUs()) - rabbitCpu;
        m.put("other_cpu_pct", Stats.num(Math.max(0, 100.0 * other / wallUs), 1));
        return m;
    }

    // ------------------------------------------------------------------ load runs (S0, S1, S2, S5)

    /**
     * One load run: {@code clients} clients over {@code nKeys} keys (1 = broadcast, clients = one
     * key each), a fraction of them slow (never read after subscribing), events at {@code rate}/s
     * round-robin over the keys. Returns the run's record.
     */
    Map<String, Object> load(String scenario, String variant, int index, int clients, int nKeys, double rate,
                             double slowFraction) throws Exception {
        return load(scenario, variant, index, clients, nKeys, rate, slowFraction, null);
    }

    /** As above; with {@code control} (the record of a paired run without slow clients) the p99 ratio is reported. */
    Map<String, Object> load(String scenario, String variant, int index, int clients, int nKeys, double rate,
                             double slowFraction, Map<String, Object> control) throws Exception {
        return measured(() -> loadOnce(scenario, variant, index, clients, nKeys, rate, slowFraction, control));
    }

    private Map<String, Object> loadOnce(String scenario, String variant, int index, int clients, int nKeys, double rate,
                                         double slowFraction, Map<String, Object> control) throws Exception {
        try (Run run = new Run(scenario, variant, index)) {
            String[] keys = new String[nKeys];
            for (int i = 0; i < nKeys; i++) {
                keys[i] = nKeys == 1 ? run.prefix + "all" : run.prefix + "u" + i;
            }
            int slowCount = (int) Math.round(clients * slowFraction);
            LoadMetrics healthy = new LoadMetrics();
            LoadMetrics slowMetrics = new LoadMetrics();
            List<BenchClient> all = new ArrayList<>(clients);
            List<BenchClient> slow = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                boolean isSlow = slowCount > 0 && (long) i * slowCount / clients != (long) (i + 1) * slowCount / clients;
                BenchClient c = new BenchClient(i, o.token, new String[] {keys[i % nKeys]}, isSlow, isSlow ? slowMetrics : healthy, protocol());
                all.add(c);
                if (isSlow) {
                    slow.add(c);
                }
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("clients", clients);
            config.put("keys", nKeys);
            config.put("rate_per_s", rate);
            config.put("slow_clients", slow.size());
            config.put("warmup_s", o.warmup);
            config.put("duration_s", o.duration);
            config.put("payload_pad", o.payloadPad);
            config.put("connect_concurrency", o.connectConcurrency);
            run.record.put("config", config);

            run.startNode();
            Map<String, Long> empty = run.emptyNode();
            Connector.StormResult sr = connector.connectAll(all, run.uri, o.connectConcurrency, Duration.ofMillis((long) (o.setupTimeout * 1000)));
            run.record.put("setup", storm(sr));
            if (sr.ok == 0) {
                throw new IllegalStateException("no client could subscribe: " + sr.sampleErrors);
            }

            long total = Math.round(rate * (o.warmup + o.duration));
            long start = EpochClock.micros() + 200_000;
            long from = start + (long) (o.warmup * 1e6);
            long to = from + (long) (o.duration * 1e6);
            healthy.window(from, to);
            slowMetrics.window(from, to);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pubExec = Executors.newSingleThreadExecutor();
            Publisher.Log log;
            Snap a;
            Snap b;
            try (Publisher pub = newPublisher(run)) {
                Future<Publisher.Log> f = pubExec.submit(() -> pub.run(keys, rate, total, o.payloadPad, start, stop::get));
                sleepUntilMicros(from);
                a = run.snap(healthy, slowMetrics);
                sleepUntilMicros(to);
                b = run.snap(healthy, slowMetrics);
                log = f.get((long) (o.duration + o.warmup) + 60, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                pubExec.shutdownNow();
            }
            // Drain: bounded wait until every reading client has every event of its key.
            long drainDeadline = System.nanoTime() + (long) (o.drain * 1e9);
            long drainStart = System.nanoTime();
            while (System.nanoTime() < drainDeadline && !allComplete(all, keys, log)) {
                Thread.sleep(100);
            }
            double drainS = (System.nanoTime() - drainStart) / 1e9;
            boolean drained = allComplete(all, keys, log);

            Map<String, Object> pubm = new LinkedHashMap<>();
            pubm.put("published", log.published);
            pubm.put("max_lag_ms", Stats.round(log.maxLagMicros / 1e3, 3));
            if (log.error != null) {
                pubm.put("error", log.error);
            }
            run.record.put("publish", pubm);

            Map<String, Long> acc = account(all, false, log);
            long framesWindow = b.frames() - a.frames();
            double windowS = (b.wallNanos() - a.wallNanos()) / 1e9;
            Map<String, Object> delivery = new LinkedHashMap<>(acc);
            delivery.put("drain_s", Stats.round(drainS, 2));
            // Not drained: "lost" also counts events still in flight when the drain time ran out (overload).
            delivery.put("drained", drained);
            Map<Integer, Integer> closes = closeCodes(all, false);
            delivery.put("reading_clients_closed_by_server", closes);
            delivery.put("frames_in_window", framesWindow);
            delivery.put("frames_per_s", Stats.round(framesWindow / windowS, 1));
            delivery.put("offered_frames_per_s", Stats.round(rate * (clients - slow.size()) / (double) nKeys, 1));
            delivery.put("bad_frames", healthy.badFrames.sum());
            run.record.put("delivery", delivery);
            Map<String, Object> lat = Stats.latencyMs(healthy.latencyMicros);
            run.record.put("latency", lat);

            Map<String, Object> res = resources(a, b, framesWindow);
            long rssLoaded = run.rssKb();
            long heapLoaded = run.heapKbAfterGc();
            res.put("node_rss_kb_empty", empty.get("rss_kb"));
            res.put("node_rss_kb_loaded", rssLoaded);
            res.put("node_heap_kb_empty", empty.get("heap_kb"));
            res.put("node_heap_kb_loaded", heapLoaded);
            res.put("rss_kb_per_conn", Stats.num((rssLoaded - empty.get("rss_kb")) / (double) sr.ok, 2));
            res.put("heap_kb_per_conn", heapLoaded < 0 ? null : Stats.num((heapLoaded - empty.get("heap_kb")) / (double) sr.ok, 2));
            run.record.put("resources", res);

            Map<String, Object> slowm = null;
            if (!slow.isEmpty()) {
                slowm = drainSlow(slow, log);
                run.record.put("slow", slowm);
            }
            run.record.put("rabbit_loaded", RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix));
            int aborted = Connector.closeAll(all, Duration.ofSeconds(10));
            sleepSeconds(o.settle);
            Map<String, Object> after = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
            after.put("clients_aborted_on_close", aborted);
            run.record.put("rabbit_after_close", after);

            Map<String, Object> s = run.summary;
            s.put("clients_ok", sr.ok);
            s.put("frames_per_s", delivery.get("frames_per_s"));
            s.put("p50_ms", lat.get("p50_ms"));
            s.put("p99_ms", lat.get("p99_ms"));
            s.put("p999_ms", lat.get("p999_ms"));
            s.put("max_ms", lat.get("max_ms"));
            s.put("lost", acc.get("lost"));
            s.put("dup", acc.get("duplicates"));
            s.put("drained", drained);
            s.put("closed_by_server", closes.values().stream().mapToInt(Integer::intValue).sum());
            s.put("node_cpu_us_per_frame", res.get("node_cpu_us_per_frame"));
            s.put("rabbit_cpu_us_per_frame", res.get("rabbit_cpu_us_per_frame"));
            s.put("node_cpu_pct", res.get("node_cpu_pct"));
            s.put("driver_cpu_pct", res.get("driver_cpu_pct"));
            s.put("other_cpu_pct", res.get("other_cpu_pct"));
            s.put("rss_kb_per_conn", res.get("rss_kb_per_conn"));
            s.put("heap_kb_per_conn", res.get("heap_kb_per_conn"));
            s.put("bindings_loaded", run.record.get("rabbit_loaded") instanceof Map<?, ?> m ? m.get("bindings_this_run") : null);
            s.put("bindings_left", after.get("bindings_this_run"));
            if (slowm != null) {
                s.put("slow_clients", slow.size());
                s.put("slow_closed_4001", slowm.get("closed_4001"));
                s.put("slow_still_open", slowm.get("still_open"));
            }
            if (control != null && control.get("summary") instanceof Map<?, ?> cs) {
                if (cs.get("p99_ms") instanceof Double cp && lat.get("p99_ms") instanceof Double p) {
                    s.put("p99_vs_control", Stats.num(p / cp, 3));
                }
                if (cs.get("frames_per_s") instanceof Double cf && delivery.get("frames_per_s") instanceof Double f) {
                    s.put("frames_vs_control", Stats.num(f / cf, 3));
                }
            }
            run.write();
            return run.record;
        }
    }

    /** Close codes (code to count) of the clients the server closed before the harness closed them. */
    static Map<Integer, Integer> closeCodes(List<BenchClient> clients, boolean slowOnes) {
        Map<Integer, Integer> m = new java.util.TreeMap<>();
        for (BenchClient c : clients) {
            if (c.slow == slowOnes && c.closeCode >= 0) {
                m.merge(c.closeCode, 1, Integer::sum);
            }
        }
        return m;
    }

    /** True when every reading client has every published event of its key(s). */
    private static boolean allComplete(List<BenchClient> clients, String[] keys, Publisher.Log log) {
        Map<String, Integer> idx = keyIndex(keys);
        for (BenchClient c : clients) {
            if (c.slow || !c.isReady()) {
                continue;
            }
            for (int k = 0; k < c.keys.length; k++) {
                Integer ki = idx.get(c.keys[k]);
                if (ki != null && !c.tracker(k).complete(log.counts[ki])) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<String, Integer> keyIndex(String[] keys) {
        Map<String, Integer> m = new java.util.HashMap<>(keys.length * 2);
        for (int i = 0; i < keys.length; i++) {
            m.put(keys[i], i);
        }
        return m;
    }

    /** Loss and duplicate accounting over ready clients (slow ones or reading ones). */
    static Map<String, Long> account(List<BenchClient> clients, boolean slowOnes, Publisher.Log log) {
        Map<String, Integer> idx = keyIndex(log.keys);
        long expected = 0;
        long distinct = 0;
        long lost = 0;
        long dups = 0;
        long unexpected = 0;
        long clientsWithLoss = 0;
        for (BenchClient c : clients) {
            if (c.slow != slowOnes || !c.isReady()) {
                continue;
            }
            long before = lost;
            for (int k = 0; k < c.keys.length; k++) {
                Integer ki = idx.get(c.keys[k]);
                if (ki == null) {
                    continue;
                }
                int published = log.counts[ki];
                SeqTracker t = c.tracker(k);
                expected += published;
                distinct += t.distinct();
                lost += t.lost(published);
                dups += t.duplicates();
                unexpected += t.unexpected(published);
            }
            if (lost > before) {
                clientsWithLoss++;
            }
        }
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("expected", expected);
        m.put("delivered", distinct);
        m.put("lost", lost);
        m.put("duplicates", dups);
        m.put("unexpected", unexpected);
        m.put("clients_with_loss", clientsWithLoss);
        return m;
    }

    /** Lets the slow clients read again and reports how the server treated them. */
    private Map<String, Object> drainSlow(List<BenchClient> slow, Publisher.Log log) throws InterruptedException {
        Map<String, Object> m = new LinkedHashMap<>();
        for (BenchClient c : slow) {
            c.resumeReading();
        }
        long deadline = System.nanoTime() + (long) (Math.max(o.drain, 5) * 1e9);
        while (System.nanoTime() < deadline) {
            boolean done = true;
            for (BenchClient c : slow) {
                if (!c.closed.isDone() && !c.tracker(0).complete(log.counts[keyIndex(log.keys).get(c.keys[0])])) {
                    done = false;
                    break;
                }
            }
            if (done) {
                break;
            }
            Thread.sleep(100);
        }
        Map<Integer, Integer> codes = new java.util.TreeMap<>();
        int open = 0;
        for (BenchClient c : slow) {
            if (c.closed.isDone()) {
                codes.merge(c.closeCode, 1, Integer::sum);
            } else {
                open++;
            }
        }
        m.put("clients", slow.size());
        m.put("still_open", open);
        m.put("close_codes", codes);
        m.put("closed_4001", codes.getOrDefault(4001, 0));
        m.putAll(account(slow, true, log));
        return m;
    }

    // ------------------------------------------------------------------ S3 connect storm + churn

    Map<String, Object> stormChurn(int index, int clients, int stormConcurrency, double rate, double churnRate,
                                   double churnSeconds, double holdSeconds, boolean ownKeys) throws Exception {
        return measured(() -> stormChurnOnce(index, clients, stormConcurrency, rate, churnRate, churnSeconds, holdSeconds, ownKeys));
    }

    private Map<String, Object> stormChurnOnce(int index, int clients, int stormConcurrency, double rate, double churnRate,
                                               double churnSeconds, double holdSeconds, boolean ownKeys) throws Exception {
        String variant = "clients=" + clients + (ownKeys ? ",own-keys" : "") + ",churn=" + fmt(churnRate) + "/s";
        try (Run run = new Run("S3", variant, index)) {
            String bcast = run.prefix + "all";
            String[] keys = {bcast};
            LoadMetrics base = new LoadMetrics();
            LoadMetrics churnM = new LoadMetrics();
            List<BenchClient> all = new ArrayList<>(clients);
            for (int i = 0; i < clients; i++) {
                // With own keys the broadcast key stays first: the events measured are published to it.
                String[] clientKeys = ownKeys ? new String[] {bcast, run.prefix + "u" + i} : keys;
                all.add(new BenchClient(i, o.token, clientKeys, false, base, protocol()));
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("clients", clients);
            config.put("own_keys", ownKeys);
            config.put("storm_concurrency", stormConcurrency);
            config.put("rate_per_s", rate);
            config.put("churn_per_s", churnRate);
            config.put("churn_s", churnSeconds);
            config.put("churn_hold_s", holdSeconds);
            config.put("warmup_s", o.warmup);
            run.record.put("config", config);

            run.startNode();
            Map<String, Long> empty = run.emptyNode();
            Duration setupTimeout = Duration.ofMillis((long) (o.setupTimeout * 1000));
            Connector.StormResult sr = connector.connectAll(all, run.uri, stormConcurrency, setupTimeout);
            run.record.put("storm", storm(sr));

            // S1-like traffic on the broadcast key: warm-up, then the churn window.
            long total = Math.round(rate * (o.warmup + churnSeconds));
            long start = EpochClock.micros() + 200_000;
            long from = start + (long) (o.warmup * 1e6);
            long to = from + (long) (churnSeconds * 1e6);
            base.window(from, to);
            churnM.window(from, to);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pubExec = Executors.newSingleThreadExecutor();
            ScheduledExecutorService sched = Executors.newSingleThreadScheduledExecutor();
            List<BenchClient> churn = new ArrayList<>();
            AtomicInteger churnFailed = new AtomicInteger();
            int skipped = 0;
            ConcurrentHistogram churnSetup = new ConcurrentHistogram(3_600_000_000L, 3);
            Publisher.Log log;
            Snap a;
            Snap b;
            try (Publisher pub = newPublisher(run)) {
                Future<Publisher.Log> f = pubExec.submit(() -> pub.run(keys, rate, total, o.payloadPad, start, stop::get));
                sleepUntilMicros(from);
                a = run.snap(base, churnM);
                int n = (int) Math.round(churnRate * churnSeconds);
                AtomicInteger inFlight = new AtomicInteger();
                for (int i = 0; i < n; i++) {
                    sleepUntilMicros(from + (long) (i * 1e6 / churnRate));
                    if (inFlight.get() >= 2_000) {
                        skipped++;
                        continue;
                    }
                    BenchClient c = new BenchClient(clients + i, o.token, new String[] {bcast, run.prefix + "c" + i}, false, churnM, protocol());
                    churn.add(c);
                    inFlight.incrementAndGet();
                    boolean abort = i % 2 == 1;
                    connector.connect(c, run.uri, setupTimeout).whenComplete((x, e) -> {
                        if (e != null) {
                            churnFailed.incrementAndGet();
                            c.abortNow();
                            inFlight.decrementAndGet();
                            return;
                        }
                        churnSetup.recordValue(Math.max(0, (c.readyNanos - c.connectStartNanos) / 1_000));
                        sched.schedule(() -> {
                            if (abort) {
                                c.abortNow();
                            } else {
                                c.closeGracefully();
                            }
                            inFlight.decrementAndGet();
                        }, (long) (holdSeconds * 1000), TimeUnit.MILLISECONDS);
                    });
                }
                sleepUntilMicros(to);
                b = run.snap(base, churnM);
                log = f.get((long) (o.warmup + churnSeconds) + 60, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                pubExec.shutdownNow();
            }
            // Wait (bounded) for every churn client to be gone, then abort stragglers.
            long deadline = System.nanoTime() + (long) ((holdSeconds + o.setupTimeout + 10) * 1e9);
            for (BenchClient c : churn) {
                long left = deadline - System.nanoTime();
                try {
                    c.closed.get(Math.max(1, left / 1_000_000), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    c.abortNow();
                }
            }
            sched.shutdownNow();
            long drainDeadline = System.nanoTime() + (long) (o.drain * 1e9);
            while (System.nanoTime() < drainDeadline && !allComplete(all, keys, log)) {
                Thread.sleep(100);
            }
            long framesWindow = b.frames() - a.frames();
            Map<String, Object> res = resources(a, b, framesWindow);
            run.record.put("resources", res);
            Map<String, Long> acc = account(all, false, log);
            run.record.put("delivery", acc);
            Map<String, Object> lat = Stats.latencyMs(base.latencyMicros);
            run.record.put("latency", lat);

            // Churn clients: every event whose publish started after their Subscribed arrived, up to the
            // last one they received, must have arrived (in-order delivery per session).
            long required = 0;
            long missing = 0;
            long dups = 0;
            int churnReady = 0;
            for (BenchClient c : churn) {
                if (!c.isReady()) {
                    continue;
                }
                churnReady++;
                SeqTracker t = c.tracker(0);
                int first = log.firstSeqAfter(0, c.subscribedAtMicros(0));
                int max = t.maxSeq();
                if (max >= first) {
                    required += max - first + 1;
                    missing += t.missing(first, max + 1);
                }
                dups += t.duplicates();
            }
            Map<String, Object> ch = new LinkedHashMap<>();
            ch.put("started", churn.size());
            ch.put("skipped_overload", skipped);
            ch.put("subscribed", churnReady);
            ch.put("failed", churnFailed.get());
            Map<String, Object> cs = Stats.latencyMs(churnSetup);
            cs.remove("count");
            ch.put("setup_latency", cs);
            ch.put("required_events", required);
            ch.put("missing_events", missing);
            ch.put("duplicates", dups);
            run.record.put("churn", ch);

            sleepSeconds(o.settle);
            Map<String, Object> afterChurn = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix + "c");
            run.record.put("rabbit_after_churn", afterChurn);
            long rss = run.rssKb();
            long heap = run.heapKbAfterGc();
            res.put("node_rss_kb_empty", empty.get("rss_kb"));
            res.put("node_rss_kb_loaded", rss);
            res.put("node_heap_kb_empty", empty.get("heap_kb"));
            res.put("node_heap_kb_loaded", heap);
            int aborted = Connector.closeAll(all, Duration.ofSeconds(10));
            sleepSeconds(o.settle);
            Map<String, Object> afterClose = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
            afterClose.put("clients_aborted_on_close", aborted);
            run.record.put("rabbit_after_close", afterClose);
            run.node.close();
            sleepSeconds(1);
            Map<String, Object> afterStop = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
            run.record.put("rabbit_after_node_stop", afterStop);

            Map<String, Object> s = run.summary;
            Map<String, Object> st = storm(sr);
            s.put("storm_ok", sr.ok);
            s.put("storm_failed", sr.failed);
            s.put("storm_s", Stats.round(sr.elapsedNanos / 1e9, 2));
            s.put("storm_setup_p99_ms", ((Map<?, ?>) st.get("setup_latency")).get("p99_ms"));
            s.put("churn_subscribed", churnReady);
            s.put("churn_failed", churnFailed.get() + skipped);
            s.put("churn_setup_p99_ms", cs.get("p99_ms"));
            s.put("p99_ms", lat.get("p99_ms"));
            s.put("max_ms", lat.get("max_ms"));
            s.put("other_cpu_pct", res.get("other_cpu_pct"));
            s.put("lost", acc.get("lost"));
            s.put("churn_missing", missing);
            s.put("dup", acc.get("duplicates") + dups);
            s.put("churn_bindings_left", afterChurn.get("bindings_this_run"));
            s.put("bindings_left", afterClose.get("bindings_this_run"));
            Object q0 = ((Map<?, ?>) run.record.get("rabbit_before")).get("queues_total");
            Object q2 = afterStop.get("queues_total");
            s.put("queues_left", q0 instanceof Long l0 && q2 instanceof Long l2 ? l2 - l0 : null);
            run.write();
            return run.record;
        }
    }

    // ------------------------------------------------------------------ S4 idle

    Map<String, Object> idle(int index, int clients, boolean sharedKey, double idleSeconds) throws Exception {
        return measured(() -> idleOnce(index, clients, sharedKey, idleSeconds));
    }

    private Map<String, Object> idleOnce(int index, int clients, boolean sharedKey, double idleSeconds) throws Exception {
        String variant = "clients=" + clients + ",keys=" + (sharedKey ? "shared" : "per-client");
        try (Run run = new Run("S4", variant, index)) {
            LoadMetrics m = new LoadMetrics();
            List<BenchClient> all = new ArrayList<>(clients);
            for (int i = 0; i < clients; i++) {
                all.add(new BenchClient(i, o.token, new String[] {sharedKey ? run.prefix + "all" : run.prefix + "u" + i}, false, m, protocol()));
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("clients", clients);
            config.put("shared_key", sharedKey);
            config.put("idle_s", idleSeconds);
            config.put("connect_concurrency", o.connectConcurrency);
            run.record.put("config", config);
            run.startNode();
            Map<String, Long> empty = run.emptyNode();
            Connector.StormResult sr = connector.connectAll(all, run.uri, o.connectConcurrency, Duration.ofMillis((long) (o.setupTimeout * 1000)));
            run.record.put("setup", storm(sr));
            sleepSeconds(o.settle);
            Snap a = run.snap(m);
            sleepSeconds(idleSeconds);
            Snap b = run.snap(m);
            Map<String, Object> res = resources(a, b, 0);
            res.remove("node_cpu_us_per_frame");
            long rss = run.rssKb();
            long heap = run.heapKbAfterGc();
            res.put("node_rss_kb_empty", empty.get("rss_kb"));
            res.put("node_rss_kb_loaded", rss);
            res.put("node_heap_kb_empty", empty.get("heap_kb"));
            res.put("node_heap_kb_loaded", heap);
            double rssPer = (rss - empty.get("rss_kb")) / (double) sr.ok;
            double heapPer = (heap - empty.get("heap_kb")) / (double) sr.ok;
            res.put("rss_kb_per_conn", Stats.num(rssPer, 2));
            res.put("heap_kb_per_conn", Stats.num(heapPer, 2));
            res.put("driver_heap_used_mb", Stats.round((Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1e6, 1));
            run.record.put("resources", res);
            Map<String, Object> loaded = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
            run.record.put("rabbit_loaded", loaded);
            long stillOpen = all.stream().filter(c -> c.isReady() && !c.closed.isDone()).count();
            int aborted = Connector.closeAll(all, Duration.ofSeconds(20));
            sleepSeconds(o.settle);
            Map<String, Object> after = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
            after.put("clients_aborted_on_close", aborted);
            run.record.put("rabbit_after_close", after);

            Map<String, Object> s = run.summary;
            s.put("clients_ok", sr.ok);
            s.put("still_open_after_idle", stillOpen);
            s.put("setup_s", Stats.round(sr.elapsedNanos / 1e9, 2));
            s.put("heap_kb_per_conn", res.get("heap_kb_per_conn"));
            s.put("rss_kb_per_conn", res.get("rss_kb_per_conn"));
            s.put("node_heap_mb_empty", Stats.round(empty.get("heap_kb") / 1024.0, 1));
            s.put("node_rss_mb_empty", Stats.round(empty.get("rss_kb") / 1024.0, 1));
            s.put("idle_node_cpu_pct", res.get("node_cpu_pct"));
            s.put("other_cpu_pct", res.get("other_cpu_pct"));
            s.put("bindings_loaded", loaded.get("bindings_this_run"));
            s.put("bindings_left", after.get("bindings_this_run"));
            run.write();
            return run.record;
        }
    }

    /**
     * Runs a measurement again (up to --noisy-retries times) while other processes used more than
     * --max-other-cpu % of a core during its window; every attempt is written, noisy ones marked.
     */
    private Map<String, Object> measured(java.util.concurrent.Callable<Map<String, Object>> attempt) throws Exception {
        for (int a = 0; ; a++) {
            Map<String, Object> r = attempt.call();
            if (!Boolean.TRUE.equals(r.get("noisy")) || a >= o.noisyRetries) {
                return r;
            }
            System.out.println("[bench] other processes used " + ((Map<?, ?>) r.get("summary")).get("other_cpu_pct")
                    + "% of a core during the window: measuring again");
        }
    }

    /** Writes a record for a run that failed, so the summary shows it. */
    void writeError(String scenario, String variant, int index, Exception e) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("scenario", scenario);
        r.put("target", o.resolvedTarget());
        r.put("variant", variant);
        r.put("run", index);
        r.put("started_at", Instant.now().toString());
        r.put("error", String.valueOf(e));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("failed_run", 1);
        r.put("summary", s);
        appendResult(r);
    }

    /** Appends one result as a JSON line to the --out file and keeps it for the summary. */
    void appendResult(Map<String, Object> result) throws IOException {
        String line = JSON.writeValueAsString(result);
        Path out = Path.of(o.out);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        written.add(JSON.readTree(line));
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
