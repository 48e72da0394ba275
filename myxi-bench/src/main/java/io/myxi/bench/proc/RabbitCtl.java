package io.myxi.bench.proc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts queues and bindings with {@code rabbitmqctl} (there may be no node admin endpoint). Bench
 * routing keys all start with a per-run prefix, so bindings of this run can be told from others'.
 * Never changes the broker.
 */
public final class RabbitCtl {
    private RabbitCtl() {
    }

    /** Bindings parsed from {@code list_bindings source_name destination_name routing_key} (tab separated). */
    public static Map<String, Long> countBindings(String listBindingsOutput, String exchange, String keyPrefix) {
        long onExchange = 0;
        long withPrefix = 0;
        java.util.Set<String> queues = new java.util.HashSet<>();
        for (String line : listBindingsOutput.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length < 3 || !f[0].equals(exchange)) {
                continue;
            }
            onExchange++;
            if (keyPrefix != null && f[2].startsWith(keyPrefix)) {
                withPrefix++;
                queues.add(f[1]);
            }
        }
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("bindings_on_exchange", onExchange);
        m.put("bindings_this_run", withPrefix);
        m.put("queues_bound_this_run", (long) queues.size());
        return m;
    }

    /**
     * The OS process of the broker that {@code rabbitmqctl} talks to (the local default node), for
     * its CPU figures; else the lowest-numbered {@code beam.smp} (more than one runs when a test
     * cluster is up, so "any beam" could measure the wrong node). -1 if none.
     */
    public static long brokerPid() {
        try {
            Exec.Result r = Exec.run(List.of("rabbitmqctl", "-q", "eval", "os:getpid()."), 30);
            long pid = parseErlangPid(r.output);
            if (r.exit == 0 && pid > 0) {
                return pid;
            }
        } catch (Exception e) {
            // Fall back below.
        }
        return ProcFs.findPidByComm("beam.smp");
    }

    /** {@code "2959"} (an Erlang string, as {@code rabbitmqctl eval} prints it) to 2959; -1 if it is not one. */
    static long parseErlangPid(String output) {
        String s = output.trim();
        if (s.length() > 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        return s.isEmpty() || !s.chars().allMatch(Character::isDigit) ? -1 : Long.parseLong(s);
    }

    /** Lines of {@code list_queues name consumers}: number of queues. */
    public static long countQueues(String listQueuesOutput) {
        return listQueuesOutput.lines().filter(l -> !l.isBlank()).count();
    }

    /** Queue and binding counts now, or an {@code error} entry. */
    public static Map<String, Object> snapshot(String exchange, String keyPrefix) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            Exec.Result q = Exec.run(List.of("rabbitmqctl", "-q", "list_queues", "--no-table-headers", "name", "consumers"), 60);
            Exec.Result b = Exec.run(List.of("rabbitmqctl", "-q", "list_bindings", "--no-table-headers",
                    "source_name", "destination_name", "routing_key"), 60);
            if (q.exit != 0 || b.exit != 0) {
                m.put("error", (q.output + " " + b.output).trim());
                return m;
            }
            m.put("queues_total", countQueues(q.output));
            m.putAll(countBindings(b.output, exchange, keyPrefix));
        } catch (Exception e) {
            m.put("error", String.valueOf(e));
        }
        return m;
    }
}
