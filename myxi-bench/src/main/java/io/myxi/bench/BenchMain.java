package io.myxi.bench;

import io.myxi.bench.baseline.BaselineServer;
import io.myxi.bench.report.ResultsTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code java -jar myxi-bench.jar SCENARIO [options]}: see docs/performance.md. */
@Command(name = "myxi-bench", mixinStandardHelpOptions = true, versionProvider = BenchMain.JarVersion.class,
        description = "Benchmark harness for Myxi nodes (and the S0 baseline server).",
        subcommands = {BenchMain.S0.class, BenchMain.S1.class, BenchMain.S2.class, BenchMain.S3.class, BenchMain.S4.class,
                BenchMain.S5.class, BenchMain.All.class, BenchMain.Publish.class, BenchMain.Baseline.class, BenchMain.Summarize.class})
public final class BenchMain implements Callable<Integer> {

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int code = new CommandLine(new BenchMain()).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 2;
    }

    /** The version from the jar's manifest (Implementation-Version), so no source file repeats the pom's. */
    static final class JarVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = BenchMain.class.getPackage().getImplementationVersion();
            return new String[] {"myxi-bench " + (version == null ? "(development build)" : version)};
        }
    }

    interface RunBody {
        void run() throws Exception;
    }

    /** Runs one measurement; a failure is reported and written as an error record, and the next run goes on. */
    static void guarded(Harness h, String scenario, String variant, int run, RunBody body) {
        try {
            body.run();
        } catch (Exception e) {
            System.err.println("[bench] " + scenario + " " + variant + " run " + run + " FAILED: " + e);
            e.printStackTrace();
            try {
                h.writeError(scenario, variant, run, e);
            } catch (Exception ignored) {
                // already reported
            }
        }
    }

    /**
     * Runs {@code body} against the target and, with {@code withSocketIo}, also against the Socket.IO
     * peer right before or after it (alternating with the run number, so neither always goes first).
     */
    static void sideBySide(Options o, boolean withSocketIo, int run, Runnable body) {
        String target = o.peer;
        if (!withSocketIo) {
            body.run();
            return;
        }
        String[] order = run % 2 == 1 ? new String[] {Options.SOCKET_IO, target} : new String[] {target, Options.SOCKET_IO};
        try {
            for (String peer : order) {
                o.peer = peer;
                body.run();
            }
        } finally {
            o.peer = target;
        }
    }

    static final String WITH_SOCKET_IO = "--with-socketio";

    static int finish(Harness h) {
        System.out.println();
        System.out.println("## Summary");
        System.out.println(h.summary());
        return 0;
    }

    // ---------------------------------------------------------------- S0 / S1

    static int broadcast(Options o, String scenario, List<Integer> clients, List<Double> rates, boolean pairedBaseline, boolean withSocketIo) {
        boolean targetBaseline = o.baseline;
        try (Harness h = new Harness(o)) {
            for (int r = 1; r <= o.runs; r++) {
                for (int c : clients) {
                    for (double rate : rates) {
                        String variant = "clients=" + c + ",rate=" + Harness.fmt(rate) + "/s";
                        int run = r;
                        @SuppressWarnings("unchecked")
                        Map<String, Object>[] control = new Map[1];
                        if (pairedBaseline) {
                            // S0 at the same point right before, so both see the same machine: frames_vs_control = S1/S0.
                            o.baseline = true;
                            guarded(h, "S0", variant, run, () -> control[0] = h.load("S0", variant, run, c, 1, rate, 0));
                            o.baseline = targetBaseline;
                        }
                        sideBySide(o, withSocketIo, run,
                                () -> guarded(h, scenario, variant, run, () -> h.load(scenario, variant, run, c, 1, rate, 0, control[0])));
                    }
                }
            }
            return finish(h);
        }
    }

    @Command(name = "s0", description = "S0 baseline: the bare Java-WebSocket server of this jar broadcasting to N clients on one key.")
    static final class S0 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", split = ",", defaultValue = "1000,5000", description = "Client counts (default: ${DEFAULT-VALUE}).")
        List<Integer> clients;
        @Option(names = "--rates", split = ",", defaultValue = "10,50,200", description = "Events per second (default: ${DEFAULT-VALUE}).")
        List<Double> rates;

        @Override
        public Integer call() {
            o.baseline = true;
            return broadcast(o, "S0", clients, rates, false, false);
        }
    }

    @Command(name = "s1", description = "S1 broadcast: N clients on one key, open-loop events at R/s.")
    static final class S1 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", split = ",", defaultValue = "1000,5000", description = "Client counts (default: ${DEFAULT-VALUE}).")
        List<Integer> clients;
        @Option(names = "--rates", split = ",", defaultValue = "10,50,200", description = "Events per second (default: ${DEFAULT-VALUE}).")
        List<Double> rates;

        @Option(names = "--paired-baseline", description = "Run S0 (the baseline) at the same point right before each S1 run; "
                + "S1's frames_vs_control and p99_vs_control are then S1/S0 under the same machine conditions.")
        boolean pairedBaseline;

        @Option(names = WITH_SOCKET_IO, description = "Also run the Socket.IO peer at every point, right before or after the target.")
        boolean withSocketIo;
        @Mixin
        PublishingOptions publishing;

        @Override
        public Integer call() {
            o.publishing = publishing.resolve();
            return broadcast(o, "S1", clients, rates, pairedBaseline, withSocketIo);
        }
    }

    // ---------------------------------------------------------------- S2

    @Command(name = "s2", description = "S2 per-user keys: N clients each on its own key, events spread round-robin over the keys.")
    static final class S2 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", defaultValue = "5000", description = "Clients = keys (default: ${DEFAULT-VALUE}).")
        int clients;
        @Option(names = "--rates", split = ",", defaultValue = "1000,5000", description = "Events per second in total (default: ${DEFAULT-VALUE}).")
        List<Double> rates;
        @Option(names = WITH_SOCKET_IO, description = "Also run the Socket.IO peer at every point, right before or after the target.")
        boolean withSocketIo;
        @Mixin
        PublishingOptions publishing;

        @Override
        public Integer call() {
            o.publishing = publishing.resolve();
            try (Harness h = new Harness(o)) {
                for (int r = 1; r <= o.runs; r++) {
                    for (double rate : rates) {
                        String variant = "clients=keys=" + clients + ",rate=" + Harness.fmt(rate) + "/s";
                        int run = r;
                        sideBySide(o, withSocketIo, run,
                                () -> guarded(h, "S2", variant, run, () -> h.load("S2", variant, run, clients, clients, rate, 0)));
                    }
                }
                return finish(h);
            }
        }
    }

    // ---------------------------------------------------------------- S3

    @Command(name = "s3", description = "S3 connect storm + churn: N clients connect/authenticate/subscribe from zero, then "
            + "connect+subscribe+disconnect churn alongside broadcast traffic; leftover queues/bindings checked.")
    static final class S3 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", defaultValue = "5000", description = "Storm clients (default: ${DEFAULT-VALUE}).")
        int clients;
        @Option(names = "--storm-concurrency", defaultValue = "1000", description = "Set-ups in flight during the storm (default: ${DEFAULT-VALUE}).")
        int stormConcurrency;
        @Option(names = "--rate", defaultValue = "10", description = "Broadcast events per second during churn (default: ${DEFAULT-VALUE}; "
                + "5,000 clients x 10/s is the largest S1 point both servers sustain on 2 cores).")
        double rate;
        @Option(names = "--churn-rate", defaultValue = "100", description = "Churn clients started per second (default: ${DEFAULT-VALUE}).")
        double churnRate;
        @Option(names = "--churn-duration", defaultValue = "20", description = "Seconds of churn (default: ${DEFAULT-VALUE}; full: 60).")
        double churnDuration;
        @Option(names = "--churn-hold", defaultValue = "0.5", description = "Seconds a churn client stays subscribed (default: ${DEFAULT-VALUE}).")
        double hold;
        @Option(names = WITH_SOCKET_IO, description = "Also run the Socket.IO peer in every round, right before or after the target.")
        boolean withSocketIo;
        @Option(names = "--own-keys", description = "Each storm client also subscribes to a key of its own (one new binding per client), "
                + "as per-user notifications do (default: the broadcast key only).")
        boolean ownKeys;
        @Option(names = "--routing-buckets", defaultValue = "0", description = "routingBuckets(N), 1..65536, on the node "
                + "(MYXI_ROUTING_BUCKETS=N) and on the broadcast traffic's publisher, which then publishes through a RabbitMqBroker "
                + "of the driver (--publisher myxi of S2: events published by key would reach no node bound by buckets). "
                + "The Socket.IO peer is unaffected (default: ${DEFAULT-VALUE}, off).")
        int routingBuckets;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                o.publishing = Publishing.withBuckets(routingBuckets);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            try (Harness h = new Harness(o)) {
                for (int r = 1; r <= o.runs; r++) {
                    int run = r;
                    sideBySide(o, withSocketIo, run, () -> guarded(h, "S3", "clients=" + clients, run,
                            () -> h.stormChurn(run, clients, stormConcurrency, rate, churnRate, churnDuration, hold, ownKeys)));
                }
                return finish(h);
            }
        }
    }

    // ---------------------------------------------------------------- S4

    @Command(name = "s4", description = "S4 idle: N authenticated, subscribed, idle clients; node heap (after GC) and RSS per connection above the empty node.")
    static final class S4 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", defaultValue = "10000", description = "Idle clients (default: ${DEFAULT-VALUE}).")
        int clients;
        @Option(names = "--idle", defaultValue = "10", description = "Seconds idle before measuring (default: ${DEFAULT-VALUE}; full: 60).")
        double idle;
        @Option(names = "--shared-key", description = "All clients on one key (default: each on its own key).")
        boolean sharedKey;

        @Override
        public Integer call() {
            try (Harness h = new Harness(o)) {
                for (int r = 1; r <= o.runs; r++) {
                    int run = r;
                    guarded(h, "S4", "clients=" + clients, run, () -> h.idle(run, clients, sharedKey, idle));
                }
                return finish(h);
            }
        }
    }

    // ---------------------------------------------------------------- S5

    @Command(name = "s5", description = "S5 slow readers: S1 with a fraction of clients that never read after subscribing; "
            + "each run is paired with a control run without slow clients.")
    static final class S5 implements Callable<Integer> {
        @Mixin
        Options o;
        @Option(names = "--clients", defaultValue = "1000", description = "Clients (default: ${DEFAULT-VALUE}).")
        int clients;
        @Option(names = "--rate", defaultValue = "50", description = "Events per second (default: ${DEFAULT-VALUE}).")
        double rate;
        @Option(names = "--slow-fraction", defaultValue = "0.01", description = "Fraction of clients that stop reading (default: ${DEFAULT-VALUE}).")
        double slowFraction;
        @Mixin
        PublishingOptions publishing;

        @Override
        public Integer call() {
            o.publishing = publishing.resolve();
            try (Harness h = new Harness(o)) {
                for (int r = 1; r <= o.runs; r++) {
                    int run = r;
                    slowPair(h, run, clients, rate, slowFraction);
                }
                return finish(h);
            }
        }
    }

    static void slowPair(Harness h, int run, int clients, double rate, double slowFraction) {
        String base = "clients=" + clients + ",rate=" + Harness.fmt(rate) + "/s";
        @SuppressWarnings("unchecked")
        Map<String, Object>[] control = new Map[1];
        guarded(h, "S5", base + ",slow=0", run, () -> control[0] = h.load("S5", base + ",slow=0", run, clients, 1, rate, 0));
        String sv = base + ",slow=" + Harness.fmt(slowFraction * 100) + "%";
        guarded(h, "S5", sv, run, () -> h.load("S5", sv, run, clients, 1, rate, slowFraction, control[0]));
    }

    // ---------------------------------------------------------------- all (quick)

    @Command(name = "all", description = "Quick run of every scenario at one small point each (S0 always on the baseline; S1-S5 on the "
            + "target). Defaults: 3 runs, 3 s warm-up, 5 s windows.")
    static final class All implements Callable<Integer> {
        @Mixin
        Options o;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--skip", split = ",", description = "Scenarios to skip, e.g. S4,S5.")
        List<String> skip = new ArrayList<>();
        @Option(names = "--churn-duration", defaultValue = "15", description = "Seconds of churn in S3 (default: ${DEFAULT-VALUE}).")
        double churnDuration;
        @Option(names = "--idle", defaultValue = "5", description = "Seconds idle in S4 (default: ${DEFAULT-VALUE}).")
        double idle;

        @Override
        public Integer call() {
            var pr = spec.commandLine().getParseResult();
            if (!pr.hasMatchedOption("--warmup")) {
                o.warmup = 3;
            }
            if (!pr.hasMatchedOption("--duration")) {
                o.duration = 5;
            }
            boolean targetBaseline = o.baseline;
            try (Harness h = new Harness(o)) {
                for (int r = 1; r <= o.runs; r++) {
                    int run = r;
                    @SuppressWarnings("unchecked")
                    Map<String, Object>[] s0 = new Map[1];
                    if (!skip.contains("S0")) {
                        o.baseline = true;
                        guarded(h, "S0", "clients=1000,rate=50/s", run,
                                () -> s0[0] = h.load("S0", "clients=1000,rate=50/s", run, 1000, 1, 50, 0));
                        o.baseline = targetBaseline;
                    }
                    if (!skip.contains("S1")) {
                        guarded(h, "S1", "clients=1000,rate=50/s", run,
                                () -> h.load("S1", "clients=1000,rate=50/s", run, 1000, 1, 50, 0, s0[0]));
                    }
                    if (!skip.contains("S2")) {
                        guarded(h, "S2", "clients=keys=5000,rate=1000/s", run,
                                () -> h.load("S2", "clients=keys=5000,rate=1000/s", run, 5000, 5000, 1000, 0));
                    }
                    if (!skip.contains("S3")) {
                        guarded(h, "S3", "clients=5000", run, () -> h.stormChurn(run, 5000, 1000, 10, 100, churnDuration, 0.5, false));
                    }
                    if (!skip.contains("S4")) {
                        guarded(h, "S4", "clients=10000", run, () -> h.idle(run, 10000, false, idle));
                    }
                    if (!skip.contains("S5")) {
                        slowPair(h, run, 1000, 50, 0.01);
                    }
                }
                return finish(h);
            }
        }
    }

    // ---------------------------------------------------------------- publishing

    @Command(name = "publish", description = "Confirmed events/s from this process through Myxi.pushEventAsync "
            + "(--batch 1) or Myxi.pushEvents (batches) to the broker; no node involved.")
    static final class Publish implements Callable<Integer> {
        @Option(names = "--amqp", defaultValue = "amqp://guest:guest@127.0.0.1:5672", description = "RabbitMQ URL (default: ${DEFAULT-VALUE}).")
        String amqpUrl;
        @Option(names = "--events", defaultValue = "100000", description = "Events per run (default: ${DEFAULT-VALUE}).")
        long events;
        @Option(names = "--batch", split = ",", defaultValue = "1,100", description = "Events per pushEvents call; 1 = pushEventAsync (default: ${DEFAULT-VALUE}).")
        List<Integer> batches;
        @Option(names = "--in-flight", defaultValue = "2000", description = "Events awaiting their confirm at most (default: ${DEFAULT-VALUE}).")
        int inFlight;
        @Option(names = "--keys", defaultValue = "1000", description = "Routing keys used round-robin (default: ${DEFAULT-VALUE}).")
        int keys;
        @Option(names = "--payload-pad", defaultValue = "0", description = "Bytes of padding in each payload (default: ${DEFAULT-VALUE}).")
        int pad;
        @Option(names = "--runs", defaultValue = "3", description = "Runs per variant (default: ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--out", defaultValue = "bench/results/results.jsonl", description = "JSON lines file (default: ${DEFAULT-VALUE}).")
        String out;

        @Override
        public Integer call() throws Exception {
            List<com.fasterxml.jackson.databind.JsonNode> written = new ArrayList<>();
            for (int r = 1; r <= runs; r++) {
                for (int batch : batches) {
                    written.add(Harness.JSON.valueToTree(PublishBench.run(amqpUrl, events, batch, inFlight, keys, pad, r, out)));
                }
            }
            System.out.println(ResultsTable.markdown(written));
            return 0;
        }
    }

    // ---------------------------------------------------------------- tools

    @Command(name = "baseline-server", description = "Run the S0 baseline server in the foreground (MYXI_PORT, RABBITMQ_URL).")
    static final class Baseline implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            BaselineServer.main(new String[0]);
            return 0;
        }
    }

    @Command(name = "summarize", description = "Print the markdown summary (medians per scenario/variant) of JSON-lines result files.")
    static final class Summarize implements Callable<Integer> {
        @Parameters(arity = "1..*", description = "results .jsonl files")
        List<Path> files;

        @Override
        public Integer call() throws Exception {
            List<com.fasterxml.jackson.databind.JsonNode> all = new ArrayList<>();
            for (Path f : files) {
                all.addAll(ResultsTable.readJsonLines(f));
            }
            System.out.println(ResultsTable.markdown(all));
            return 0;
        }
    }
}
