package io.myxi.bench.proc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server under test, started by the harness as {@code /bin/sh -c "exec COMMAND"} with
 * {@code MYXI_PORT} and {@code RABBITMQ_URL} set, output to a log file. Only this process (and, if
 * the command was not exec'd, its own descendants) is ever signalled, by PID.
 */
public final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final String command;
    private final int port;
    private final Path log;
    private long pid;

    private NodeProcess(Process process, String command, int port, Path log) {
        this.process = process;
        this.command = command;
        this.port = port;
        this.log = log;
        this.pid = process.pid();
    }

    public static NodeProcess start(String command, int port, String amqpUrl, Path log, Map<String, String> extraEnv)
            throws IOException {
        java.nio.file.Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "exec " + command);
        pb.environment().put("MYXI_PORT", Integer.toString(port));
        pb.environment().put("RABBITMQ_URL", amqpUrl);
        pb.environment().put("MYXI_BIND_ADDRESS", "127.0.0.1");
        pb.environment().putAll(extraEnv);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new NodeProcess(pb.start(), command, port, log);
    }

    /** Waits until the port accepts TCP connections (or the process died / time ran out). */
    public void awaitPort(long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("node exited with " + process.exitValue() + " before listening; see " + log);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                resolveJavaPid();
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("node did not listen on port " + port + " within " + timeoutMillis + " ms; see " + log);
    }

    /** If the command ran through a wrapper, measure the (single) java descendant instead. */
    private void resolveJavaPid() {
        if ("java".equals(ProcFs.comm(process.pid()))) {
            return;
        }
        process.descendants().filter(h -> "java".equals(ProcFs.comm(h.pid()))).findFirst()
                .ifPresent(h -> pid = h.pid());
    }

    public long pid() {
        return pid;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String command() {
        return command;
    }

    public Path log() {
        return log;
    }

    /** SIGTERM, up to 20 s for a graceful stop, then SIGKILL; our process and its descendants only. */
    @Override
    public void close() {
        var descendants = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        for (ProcessHandle h : descendants) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }
}
