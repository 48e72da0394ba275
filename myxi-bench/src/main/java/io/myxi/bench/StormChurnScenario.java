package io.myxi.bench;

import static io.myxi.bench.Harness.fmt;
import static io.myxi.bench.Harness.resources;
import static io.myxi.bench.Harness.sleepSeconds;
import static io.myxi.bench.Harness.sleepUntilMicros;
import static io.myxi.bench.Harness.storm;

import io.myxi.bench.Harness.Snap;
import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.client.LoadMetrics;
import io.myxi.bench.client.SetupPhases;
import io.myxi.bench.proc.ProcFs;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.SeqTracker;
import io.myxi.bench.report.Stats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * S3: a connect storm of every client at once, then broadcast traffic while clients keep coming
 * and going (half closing cleanly, half aborting), checking that churned clients miss nothing in
 * between and that RabbitMQ is left clean.
 */
final class StormChurnScenario extends Scenario {
    StormChurnScenario(Harness harness) {
        super(harness);
    }

    Map<String, Object> stormChurn(int index, int clients, int stormConcurrency, double rate, double churnRate,
                                   double churnSeconds, double holdSeconds, boolean ownKeys) throws Exception {
        return harness.measured(() -> stormChurnOnce(index, clients, stormConcurrency, rate, churnRate, churnSeconds, holdSeconds, ownKeys));
    }

    private Map<String, Object> stormChurnOnce(int index, int clients, int stormConcurrency, double rate, double churnRate,
                                               double churnSeconds, double holdSeconds, boolean ownKeys) throws Exception {
        String variant = "clients=" + clients + (ownKeys ? ",own-keys" : "") + ",churn=" + fmt(churnRate) + "/s"
                + (o.connectWarmup > 0 ? (o.freshNode ? ",fresh-node" : ",warmed") : "");
        // The churn clients' own connector, closed however the run ends (and, once its clients are
        // gone, already before the drain: closing it twice is harmless).
        try (Run run = new Run(harness, "S3", variant, index);
             Connector ownChurnConnector = o.churnClientThreads > 0
                     ? new Connector(connector.kind(), 1, o.churnClientThreads, Duration.ofSeconds(30), o.clientRcvbuf)
                     : null) {
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
            config.putAll(o.publishingRecord());
            run.record.put("config", config);

            run.startNode();
            Map<String, Long> empty = run.emptyNode();
            Duration setupTimeout = Duration.ofMillis((long) (o.setupTimeout * 1000));
            if (o.connectWarmup > 0) {
                config.put("connect_warmup", o.connectWarmup);
                run.record.put("connect_warmup", connectWarmup(run, stormConcurrency, setupTimeout));
                config.put("fresh_node", o.freshNode);
                if (o.freshNode) {
                    run.restartNode();
                    empty = run.emptyNode();
                }
            }
            Snap beforeStorm = run.snap();
            long nodeSystemBefore = ProcFs.systemMicros(run.node.pid());
            Map<String, Long> threadsBefore = ProcFs.threadCpuMicros(run.node.pid());
            long stormStartedAt = System.currentTimeMillis();
            Connector.StormResult sr = connector.connectAll(all, run.uri, stormConcurrency, setupTimeout);
            long stormEndedAt = System.currentTimeMillis();
            long nodeSystem = ProcFs.systemMicros(run.node.pid()) - nodeSystemBefore;
            Map<String, Long> threadsAfter = ProcFs.threadCpuMicros(run.node.pid());
            Snap afterStorm = run.snap();
            Map<String, Object> stormRecord = storm(sr);
            // Wall-clock bounds, to cut a profile or a flight recording of the node to the storm.
            stormRecord.put("started_at_ms", stormStartedAt);
            stormRecord.put("ended_at_ms", stormEndedAt);
            Map<String, Object> stormCpu = stormResources(beforeStorm, afterStorm, sr.ok);
            stormCpu.put("node_system_cpu_ms", nodeSystemBefore < 0 ? null : Stats.round(nodeSystem / 1e3, 1));
            stormCpu.put("node_threads_cpu_ms", threadDeltas(threadsBefore, threadsAfter));
            stormRecord.put("resources", stormCpu);
            run.record.put("storm", stormRecord);

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
            SetupPhases churnPhases = new SetupPhases();
            Publisher.Log log;
            Snap a;
            Snap b;
            Publisher pub = newPublisher(run);
            config.put("churn_client_threads", o.churnClientThreads);
            Connector churnConnector = ownChurnConnector != null ? ownChurnConnector : connector;
            try {
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
                    churnConnector.connect(c, run.uri, setupTimeout).whenComplete((x, e) -> {
                        if (e != null) {
                            churnFailed.incrementAndGet();
                            c.abortNow();
                            inFlight.decrementAndGet();
                            return;
                        }
                        churnSetup.recordValue(Math.max(0, (c.readyNanos - c.connectStartNanos) / 1_000));
                        churnPhases.record(c);
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
                pub.close(); // after the publishing thread stopped: a confirming sink waits for its confirms here
            }
            Map<String, Object> pubm = publishRecord(log, pub);
            run.record.put("publish", pubm);
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
            if (ownChurnConnector != null) {
                ownChurnConnector.close(); // every churn client is closed or aborted by now
            }
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
            ch.put("setup_phases", churnPhases.toRecord());
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
            Map<String, Object> afterClose = closeAllAndSnapshot(run, all, Duration.ofSeconds(10));
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
            Map<?, ?> stormRes = (Map<?, ?>) stormRecord.get("resources");
            s.put("storm_node_cpu_ms", stormRes.get("node_cpu_ms"));
            s.put("storm_driver_cpu_ms", stormRes.get("driver_cpu_ms"));
            s.put("churn_subscribed", churnReady);
            s.put("churn_failed", churnFailed.get() + skipped);
            s.put("churn_setup_p99_ms", cs.get("p99_ms"));
            s.put("p99_ms", lat.get("p99_ms"));
            s.put("max_ms", lat.get("max_ms"));
            s.put("other_cpu_pct", res.get("other_cpu_pct"));
            s.put("lost", acc.get("lost"));
            if (pubm.get("failed") != null) {
                s.put("publish_failed", pubm.get("failed"));
            }
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

    /**
     * CPU over the storm: the shares of {@link Harness#resources} (no per-frame figures: the storm
     * delivers none), plus each process's milliseconds and the node's and driver's per client set up.
     */
    private static Map<String, Object> stormResources(Snap a, Snap b, int setUps) {
        Map<String, Object> m = resources(a, b, 0);
        m.remove("node_cpu_us_per_frame");
        m.remove("rabbit_cpu_us_per_frame");
        long node = b.nodeCpuUs() - a.nodeCpuUs();
        long driver = b.selfCpuUs() - a.selfCpuUs();
        m.put("driver_cpu_ms", Stats.round(driver / 1e3, 1));
        m.put("rabbit_cpu_ms", a.rabbitCpuUs() < 0 ? null : Stats.round((b.rabbitCpuUs() - a.rabbitCpuUs()) / 1e3, 1));
        if (setUps > 0) {
            m.put("node_cpu_us_per_setup", Stats.round((double) node / setUps, 1));
            m.put("driver_cpu_us_per_setup", Stats.round((double) driver / setUps, 1));
        }
        return m;
    }

    /**
     * Connects and closes throwaway clients, each on a key of its own, then waits (bounded) until
     * RabbitMQ's bindings on the exchange are back to what they were, so the measured storm binds
     * from zero again (routing buckets stay bound for a grace period after their last key).
     */
    private Map<String, Object> connectWarmup(Run run, int concurrency, Duration setupTimeout) throws Exception {
        Object before = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix).get("bindings_on_exchange");
        LoadMetrics none = new LoadMetrics();
        List<BenchClient> warm = new ArrayList<>(o.connectWarmup);
        for (int i = 0; i < o.connectWarmup; i++) {
            warm.add(new BenchClient(-1 - i, o.token, new String[] {run.prefix + "w" + i}, false, none, protocol()));
        }
        long start = System.nanoTime();
        Connector.StormResult r = connector.connectAll(warm, run.uri, concurrency, setupTimeout);
        Connector.closeAll(warm, Duration.ofSeconds(10));
        Object after = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            after = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix).get("bindings_on_exchange");
            if (!(after instanceof Long a) || !(before instanceof Long b) || a <= b) {
                break;
            }
            Thread.sleep(1_000);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", r.ok);
        m.put("failed", r.failed);
        m.put("storm_ms", Stats.round(r.elapsedNanos / 1e6, 1));
        m.put("bindings_before", before);
        m.put("bindings_after", after);
        m.put("elapsed_s", Stats.round((System.nanoTime() - start) / 1e9, 1));
        return m;
    }

    /** The node's CPU over the storm per thread group (ms), the biggest first, groups under 10 ms left out. */
    private static Map<String, Object> threadDeltas(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Object> m = new LinkedHashMap<>();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() >= 10_000)
                .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> m.put(e.getKey(), Stats.round(e.getValue() / 1e3, 1)));
        return m;
    }
}
