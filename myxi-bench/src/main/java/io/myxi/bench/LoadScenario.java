package io.myxi.bench;

import static io.myxi.bench.Harness.resources;
import static io.myxi.bench.Harness.sleepSeconds;
import static io.myxi.bench.Harness.sleepUntilMicros;
import static io.myxi.bench.Harness.storm;

import io.myxi.bench.Harness.Snap;
import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.client.LoadMetrics;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.Stats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Load runs, S0 (one broadcast key, the control), S1 (broadcast), S2 (a key per client) and S5
 * (a share of slow clients that stop reading): clients subscribe, events are published open-loop
 * at a fixed rate, and latency, throughput, loss and the node's resources are measured.
 */
final class LoadScenario extends Scenario {
    LoadScenario(Harness harness) {
        super(harness);
    }

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
        return harness.measured(() -> loadOnce(scenario, variant, index, clients, nKeys, rate, slowFraction, control));
    }

    private Map<String, Object> loadOnce(String scenario, String variant, int index, int clients, int nKeys, double rate,
                                         double slowFraction, Map<String, Object> control) throws Exception {
        try (Run run = new Run(harness, scenario, variant, index)) {
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
            config.putAll(o.publishingRecord());
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
            Publisher pub = newPublisher(run);
            try {
                Future<Publisher.Log> f = pubExec.submit(() -> pub.run(keys, rate, total, o.payloadPad, start, stop::get));
                sleepUntilMicros(from);
                a = run.snap(healthy, slowMetrics);
                sleepUntilMicros(to);
                b = run.snap(healthy, slowMetrics);
                log = f.get((long) (o.duration + o.warmup) + 60, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                pubExec.shutdownNow();
                pub.close(); // after the publishing thread stopped: a confirming sink waits for its confirms here
            }
            // Drain: bounded wait until every reading client has every event of its key.
            long drainDeadline = System.nanoTime() + (long) (o.drain * 1e9);
            long drainStart = System.nanoTime();
            while (System.nanoTime() < drainDeadline && !allComplete(all, keys, log)) {
                Thread.sleep(100);
            }
            double drainS = (System.nanoTime() - drainStart) / 1e9;
            boolean drained = allComplete(all, keys, log);

            Map<String, Object> pubm = publishRecord(log, pub);
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
            Map<String, Object> after = closeAllAndSnapshot(run, all, Duration.ofSeconds(10));

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
            if (pubm.get("failed") != null) {
                s.put("publish_failed", pubm.get("failed"));
            }
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
}
