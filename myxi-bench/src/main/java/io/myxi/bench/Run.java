package io.myxi.bench;

import static io.myxi.bench.Harness.JSON;
import static io.myxi.bench.Harness.cpu;
import static io.myxi.bench.Harness.freePort;
import static io.myxi.bench.Harness.host;
import static io.myxi.bench.Harness.sleepSeconds;

import io.myxi.bench.Harness.Snap;
import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.client.LoadMetrics;
import io.myxi.bench.proc.Jcmd;
import io.myxi.bench.proc.NodeProcess;
import io.myxi.bench.proc.ProcFs;
import io.myxi.bench.proc.RabbitCtl;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** State of one run: node process, key prefix, the record being built. */
final class Run implements AutoCloseable {
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyMMddHHmmss").withZone(ZoneOffset.UTC);

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

    private final Harness harness;
    private final Options o;
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

    Run(Harness harness, String scenario, String variant, int index) {
        this.harness = harness;
        this.o = harness.o;
        this.scenario = scenario;
        this.variant = o.variant(variant);
        this.index = index;
        this.runId = ID.format(Instant.now()) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
        this.prefix = "bench-" + runId + "-";
        record.put("scenario", scenario);
        record.put("target", o.resolvedTarget());
        record.put("variant", this.variant);
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
        Map<String, Object> quiet = harness.awaitQuiet();
        record.put("machine_before", quiet);
        if (!Boolean.TRUE.equals(quiet.get("quiet"))) {
            System.out.println("[bench] machine busy (" + quiet.get("background_cpu_pct") + "% of a core) after "
                    + o.quietWait + " s of waiting: running anyway");
        }
        Path log = Path.of(o.logDir, scenario + "-" + runId + ".log");
        Map<String, String> env = o.nodeEnv();
        node = NodeProcess.start(o.resolvedNodeCommand(), port, o.amqpUrl, log, env);
        currentNode = node;
        node.awaitPort(60_000);
        awaitProtocolReady();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("command", node.command());
        n.put("jvm_flags", o.nodeJvmFlags);
        n.put("env", env);
        n.put("pid", node.pid());
        n.put("vm_flags", o.isSocketIo() ? null : Jcmd.vmFlags(node.pid()));
        n.put("log", log.toString());
        record.put("node", n);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("jvm_flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        d.put("client", o.clientKind().name().toLowerCase(java.util.Locale.ROOT));
        d.put("http_clients", o.httpClients);
        d.put("client_threads", o.clientThreads);
        d.put("client_rcvbuf", o.clientRcvbuf);
        record.put("driver", d);
    }

    /**
     * Stops the node and starts a new one on a new port: what follows meets a freshly started
     * server (the first node's record is kept as {@code node_before_restart}).
     */
    void restartNode() throws Exception {
        Object first = record.get("node");
        node.close();
        currentNode = null;
        startNode();
        record.put("node_before_restart", first);
    }

    /** A probe client must get through Welcome/Authenticate/Subscribe (the node may still be connecting to RabbitMQ). */
    private void awaitProtocolReady() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Exception last = null;
        int attempt = 0;
        while (System.currentTimeMillis() < deadline) {
            BenchClient probe = new BenchClient(-1, o.token, new String[] {"probe-" + runId + "-" + attempt++}, false, new LoadMetrics(), harness.protocol());
            try {
                harness.connector.connect(probe, uri, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
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
                harness.rabbitPid > 0 ? cpu(harness.rabbitPid) : -1, ProcFs.machineBusyMicros(), frames);
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
        harness.appendResult(record);
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
