package io.myxi.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.client.SocketIoSink;
import io.myxi.bench.proc.ProcFs;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.ResultsTable;
import io.myxi.bench.report.Stats;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs scenarios: starts the server under test (fresh per run), connects the load clients,
 * publishes open-loop, measures, checks RabbitMQ, tears down, and appends one JSON line per run.
 * The scenario families are {@link LoadScenario} (S0, S1, S2, S5), {@link StormChurnScenario}
 * (S3) and {@link IdleScenario} (S4); one run's node and record are a {@link Run}.
 */
public final class Harness implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Options o;
    final Connector connector;
    private final List<JsonNode> written = new ArrayList<>();
    final long rabbitPid;

    public Harness(Options o) {
        this.o = o;
        this.connector = new Connector(o.clientKind(), o.httpClients, o.clientThreads, Duration.ofSeconds(30), o.clientRcvbuf);
        this.rabbitPid = RabbitCtl.brokerPid();
    }

    @Override
    public void close() {
        connector.close();
    }

    /** The markdown summary of the runs this harness wrote. */
    public String summary() {
        return ResultsTable.markdown(written);
    }

    // ------------------------------------------------------------------ the machine

    /** Resources of the node, the driver and RabbitMQ at one instant. */
    record Snap(long wallNanos, long nodeCpuUs, long selfCpuUs, long rabbitCpuUs, long machineBusyUs, long frames) {
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

    // ------------------------------------------------------------------ helpers

    BenchClient.Protocol protocol() {
        return o.isSocketIo() ? BenchClient.Protocol.SOCKET_IO : BenchClient.Protocol.MYXI;
    }

    /**
     * The open-loop publisher of a run: on a Socket.IO connection of its own for the peer, else to
     * RabbitMQ, raw or (--publisher myxi) through a RabbitMqBroker with the run's options.
     */
    Publisher newPublisher(Run run) throws Exception {
        if (o.isSocketIo()) {
            return new Publisher(new SocketIoSink(run.uri));
        }
        Publishing p = o.targetPublishing();
        return p != null && p.isMyxi() ? new Publisher(new MyxiSink(o.amqpUrl, BenchClient.EXCHANGE, p))
                : new Publisher(o.amqpUrl, BenchClient.EXCHANGE);
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
        m.put("setup_phases", r.phases.toRecord());
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

    // ------------------------------------------------------------------ the scenario families

    /** A load run (S0, S1, S2, S5); see {@link LoadScenario}. */
    Map<String, Object> load(String scenario, String variant, int index, int clients, int nKeys, double rate,
                             double slowFraction) throws Exception {
        return new LoadScenario(this).load(scenario, variant, index, clients, nKeys, rate, slowFraction);
    }

    /** A load run paired with its control run; see {@link LoadScenario}. */
    Map<String, Object> load(String scenario, String variant, int index, int clients, int nKeys, double rate,
                             double slowFraction, Map<String, Object> control) throws Exception {
        return new LoadScenario(this).load(scenario, variant, index, clients, nKeys, rate, slowFraction, control);
    }

    /** S3; see {@link StormChurnScenario}. */
    Map<String, Object> stormChurn(int index, int clients, int stormConcurrency, double rate, double churnRate,
                                   double churnSeconds, double holdSeconds, boolean ownKeys) throws Exception {
        return new StormChurnScenario(this).stormChurn(index, clients, stormConcurrency, rate, churnRate, churnSeconds, holdSeconds, ownKeys);
    }

    /** S4; see {@link IdleScenario}. */
    Map<String, Object> idle(int index, int clients, boolean sharedKey, double idleSeconds) throws Exception {
        return new IdleScenario(this).idle(index, clients, sharedKey, idleSeconds);
    }

    /**
     * Runs a measurement again (up to --noisy-retries times) while other processes used more than
     * --max-other-cpu % of a core during its window; every attempt is written, noisy ones marked.
     */
    Map<String, Object> measured(java.util.concurrent.Callable<Map<String, Object>> attempt) throws Exception {
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
        r.put("variant", o.variant(variant));
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
