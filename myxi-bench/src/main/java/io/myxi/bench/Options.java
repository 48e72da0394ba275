package io.myxi.bench;

import picocli.CommandLine.Option;

/** Options shared by every scenario command. Durations are in seconds. */
public final class Options {
    public static final String DEFAULT_NODE_CMD = "java {flags} -jar {jar}";

    @Option(names = "--node-cmd", description = "Command that starts the server under test (run as `sh -c 'exec CMD'` "
            + "with MYXI_PORT and RABBITMQ_URL set); {flags} becomes --node-jvm-flags, {jar} --node-jar. "
            + "Default: " + DEFAULT_NODE_CMD + " (the Myxi demo node).")
    public String nodeCmd;

    @Option(names = "--baseline", description = "Drive the S0 baseline server (bare Java-WebSocket, in this jar) instead of a node.")
    public boolean baseline;

    @Option(names = "--peer", description = "Drive a peer server instead of a node: socketio (bench/peers/socketio, "
            + "Socket.IO 4.8 on Node.js; run `npm ci` there first). Its clients speak Engine.IO v4 over WebSocket.")
    public String peer;

    public static final String SOCKET_IO = "socketio";
    public static final String SOCKET_IO_CMD = "node bench/peers/socketio/server.js";

    @Option(names = "--node-jar", defaultValue = "myxi-examples/target/myxi-examples.jar",
            description = "Jar of the Myxi demo node (default: ${DEFAULT-VALUE}).")
    public String nodeJar;

    @Option(names = "--node-jvm-flags", defaultValue = "-Xmx2g -XX:+UseG1GC",
            description = "JVM flags of the server under test (default: ${DEFAULT-VALUE}).")
    public String nodeJvmFlags;

    @Option(names = "--target-name", description = "Label of the server under test in the results (default: baseline, myxi or custom).")
    public String targetName;

    @Option(names = "--amqp", defaultValue = "amqp://guest:guest@127.0.0.1:5672", description = "RabbitMQ URL (default: ${DEFAULT-VALUE}).")
    public String amqpUrl;

    @Option(names = "--port", defaultValue = "0", description = "Port for the server under test; 0 picks a free one per run.")
    public int port;

    @Option(names = "--runs", defaultValue = "3", description = "Runs per variant; the summary reports the median (default: ${DEFAULT-VALUE}).")
    public int runs;

    @Option(names = "--warmup", defaultValue = "5", description = "Seconds of publishing before the measurement window (default: ${DEFAULT-VALUE}).")
    public double warmup;

    @Option(names = "--duration", defaultValue = "10", description = "Seconds of the measurement window (default: ${DEFAULT-VALUE}).")
    public double duration;

    @Option(names = "--drain", defaultValue = "10", description = "Max seconds to wait for in-flight events after publishing stops (default: ${DEFAULT-VALUE}).")
    public double drain;

    @Option(names = "--settle", defaultValue = "2", description = "Seconds to let the node settle before resource snapshots (default: ${DEFAULT-VALUE}).")
    public double settle;

    @Option(names = "--payload-pad", defaultValue = "0", description = "Extra bytes of padding per event payload (default: ${DEFAULT-VALUE}).")
    public int payloadPad;

    @Option(names = "--connect-concurrency", defaultValue = "500", description = "Max client set-ups (connect+auth+subscribe) in flight (default: ${DEFAULT-VALUE}).")
    public int connectConcurrency;

    @Option(names = "--connect-warmup", defaultValue = "0", description = "S3: before the measured storm, this many throwaway "
            + "clients connect, subscribe to a key each and close, and the run waits until RabbitMQ holds no binding of theirs: "
            + "the server's and the driver's code is compiled, nothing is left bound (default: ${DEFAULT-VALUE}, a cold start).")
    public int connectWarmup;

    @Option(names = "--fresh-node", description = "S3 with --connect-warmup: restart the node after the warm-up, so that "
            + "the measured storm meets a freshly started server while the driver's own code is warm: the case of every "
            + "client reconnecting after a node restart, without the driver's start-up on the same cores.")
    public boolean freshNode;

    @Option(names = "--setup-timeout", defaultValue = "60", description = "Seconds one client may take to be subscribed (default: ${DEFAULT-VALUE}).")
    public double setupTimeout;

    @Option(names = "--client", defaultValue = "jdk", description = "WebSocket client library of the load clients: jdk "
            + "(java.net.http) or netty (Netty's codec on --client-threads event loops; far less driver CPU per connect and "
            + "per message) (default: ${DEFAULT-VALUE}).")
    public String client = "jdk";

    @Option(names = "--http-clients", defaultValue = "2", description = "JDK HttpClients (one selector thread each) shared by the load clients (default: ${DEFAULT-VALUE}).")
    public int httpClients;

    @Option(names = "--client-threads", defaultValue = "2", description = "Threads running the clients' callbacks: the JDK clients' executor, or Netty's event loops (default: ${DEFAULT-VALUE}).")
    public int clientThreads;

    @Option(names = "--churn-client-threads", defaultValue = "1", description = "S3: threads (event loops) of the churn "
            + "clients' own connector, apart from the storm clients', so that a churn client's set-up is not queued in the "
            + "driver behind the storm clients' frames (browsers do not share a thread); 0 = share the load clients' "
            + "(default: ${DEFAULT-VALUE}).")
    public int churnClientThreads;

    @Option(names = "--client-rcvbuf", defaultValue = "0", description = "SO_RCVBUF of the load clients' sockets in bytes, 0 = OS default with autotuning (default: ${DEFAULT-VALUE}).")
    public int clientRcvbuf;

    @Option(names = "--quiet-below", defaultValue = "30", description = "Before each run, wait until the whole machine uses less "
            + "than this much CPU (%% of one core, over 2 s) — the machine may be shared (default: ${DEFAULT-VALUE}).")
    public double quietBelow;

    @Option(names = "--quiet-wait", defaultValue = "180", description = "Max seconds to wait for that; the run then goes ahead and "
            + "records the background load (default: ${DEFAULT-VALUE}).")
    public double quietWait;

    @Option(names = "--max-other-cpu", defaultValue = "30", description = "A run during whose window other processes used more "
            + "than this much CPU (%% of one core) is marked noisy, repeated, and left out of the summary when a clean run exists "
            + "(default: ${DEFAULT-VALUE}).")
    public double maxOtherCpu;

    @Option(names = "--noisy-retries", defaultValue = "2", description = "How often a noisy run is repeated (default: ${DEFAULT-VALUE}).")
    public int noisyRetries;

    @Option(names = "--token", defaultValue = "alice-token", description = "Token sent in Authenticate (default: ${DEFAULT-VALUE}).")
    public String token;

    @Option(names = "--out", defaultValue = "bench/results/results.jsonl", description = "JSON lines file the runs are appended to (default: ${DEFAULT-VALUE}).")
    public String out;

    @Option(names = "--log-dir", defaultValue = "bench/results/logs", description = "Directory of the node logs (default: ${DEFAULT-VALUE}).")
    public String logDir;

    /**
     * The publisher and broker options of the runs against a Myxi node (not an option of every
     * command: S1, S2, S5 set it from {@link PublishingOptions}, S3 from its --routing-buckets).
     */
    Publishing publishing = Publishing.DEFAULT;

    /** The command line of the server under test. */
    public String resolvedNodeCommand() {
        String cmd;
        if (isSocketIo()) {
            cmd = SOCKET_IO_CMD;
        } else if (baseline) {
            cmd = "java {flags} -cp " + System.getProperty("java.class.path") + " io.myxi.bench.baseline.BaselineServer";
        } else {
            cmd = nodeCmd != null ? nodeCmd : DEFAULT_NODE_CMD;
        }
        return cmd.replace("{flags}", nodeJvmFlags).replace("{jar}", nodeJar);
    }

    public String resolvedTarget() {
        if (targetName != null) {
            return targetName;
        }
        if (isSocketIo()) {
            return SOCKET_IO;
        }
        if (baseline) {
            return "baseline";
        }
        return nodeCmd == null ? "myxi" : "custom";
    }

    /** The publisher options of a run against the current target: null for the Socket.IO peer and the S0 baseline. */
    Publishing targetPublishing() {
        return isSocketIo() || baseline ? null : publishing;
    }

    /** The node's environment for those options (MYXI_PACKED_PUBLISHING, MYXI_ROUTING_BUCKETS); empty when none apply. */
    java.util.Map<String, String> nodeEnv() {
        Publishing p = targetPublishing();
        return p == null ? java.util.Map.of() : p.nodeEnv();
    }

    /** For a run's config: the publisher and the options the run used. */
    java.util.Map<String, Object> publishingRecord() {
        Publishing p = targetPublishing();
        if (p != null) {
            return p.record();
        }
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("publisher", isSocketIo() ? SOCKET_IO : Publishing.AMQP);
        return m;
    }

    /** A run's variant with the publisher options that apply to its target, so the summary keeps them apart. */
    String variant(String base) {
        String withClient = clientKind() == io.myxi.bench.client.Connector.Kind.JDK ? base : base + ",client=" + client;
        Publishing p = targetPublishing();
        return p == null ? withClient : withClient + p.variantSuffix();
    }

    /** True when the server under test is the Socket.IO peer (and the baseline is not). */
    public boolean isSocketIo() {
        if (peer != null && !peer.equals(SOCKET_IO)) {
            throw new IllegalArgumentException("unknown peer " + peer + " (known: " + SOCKET_IO + ")");
        }
        return !baseline && SOCKET_IO.equals(peer);
    }

    /** The load clients' WebSocket library ({@code --client}). */
    public io.myxi.bench.client.Connector.Kind clientKind() {
        switch (client.toLowerCase(java.util.Locale.ROOT)) {
            case "jdk":
                return io.myxi.bench.client.Connector.Kind.JDK;
            case "netty":
                return io.myxi.bench.client.Connector.Kind.NETTY;
            default:
                throw new IllegalArgumentException("unknown --client " + client + " (known: jdk, netty)");
        }
    }
}
