package io.myxi.bench;

import io.myxi.bench.client.BenchClient;
import io.myxi.bench.client.Connector;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.SeqTracker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the scenario families share: the harness (options, the connector, the node of each run)
 * and the loss and duplicate accounting of the events the clients received.
 */
abstract class Scenario {
    final Harness harness;
    final Options o;
    final Connector connector;

    Scenario(Harness harness) {
        this.harness = harness;
        this.o = harness.o;
        this.connector = harness.connector;
    }

    BenchClient.Protocol protocol() {
        return harness.protocol();
    }

    Publisher newPublisher(Run run) throws Exception {
        return harness.newPublisher(run);
    }

    /**
     * Closes every client (aborting those that do not close within {@code timeout}), lets the node
     * settle, and records what RabbitMQ holds of this run afterwards as {@code rabbit_after_close}.
     */
    Map<String, Object> closeAllAndSnapshot(Run run, List<BenchClient> all, Duration timeout) throws InterruptedException {
        int aborted = Connector.closeAll(all, timeout);
        Harness.sleepSeconds(o.settle);
        Map<String, Object> after = RabbitCtl.snapshot(BenchClient.EXCHANGE, run.prefix);
        after.put("clients_aborted_on_close", aborted);
        run.record.put("rabbit_after_close", after);
        return after;
    }

    /** Close codes (code to count) of the clients the server closed before the harness closed them. */
    /** What the publisher of a run did: events published, its worst lag, its error, its sink's counts. */
    static Map<String, Object> publishRecord(Publisher.Log log, Publisher pub) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("published", log.published);
        m.put("max_lag_ms", io.myxi.bench.report.Stats.round(log.maxLagMicros / 1e3, 3));
        if (log.error != null) {
            m.put("error", log.error);
        }
        m.putAll(pub.sinkStats());
        return m;
    }

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
    static boolean allComplete(List<BenchClient> clients, String[] keys, Publisher.Log log) {
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

    static Map<String, Integer> keyIndex(String[] keys) {
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
}
