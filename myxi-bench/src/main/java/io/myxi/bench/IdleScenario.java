package io.myxi.bench;

import static io.myxi.bench.Harness.resources;
import static io.myxi.bench.Harness.sleepSeconds;
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

/** S4: many idle subscribed clients: the memory and CPU a connection costs the node. */
final class IdleScenario extends Scenario {
    IdleScenario(Harness harness) {
        super(harness);
    }

    Map<String, Object> idle(int index, int clients, boolean sharedKey, double idleSeconds) throws Exception {
        return harness.measured(() -> idleOnce(index, clients, sharedKey, idleSeconds));
    }

    private Map<String, Object> idleOnce(int index, int clients, boolean sharedKey, double idleSeconds) throws Exception {
        String variant = "clients=" + clients + ",keys=" + (sharedKey ? "shared" : "per-client");
        try (Run run = new Run(harness, "S4", variant, index)) {
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
            Map<String, Object> after = closeAllAndSnapshot(run, all, Duration.ofSeconds(20));

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
}
