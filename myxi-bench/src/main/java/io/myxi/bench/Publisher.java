package io.myxi.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop publisher: event {@code i} is due at {@code start + i/rate} regardless of how long
 * earlier publishes took (a late publisher catches up, it never skips), and carries that
 * <em>intended</em> time (epoch micros) plus a per-key sequence number:
 * {@code {"event":"bench","payload":{"k":KEY,"s":SEQ,"t":MICROS[,"p":PAD]}}}. Keys are used round-robin.
 *
 * <p>The publisher logs, per key, when each publish call started, so churn clients can tell which
 * events were certainly published after their {@code Subscribed} arrived.
 */
public final class Publisher implements AutoCloseable {
    /** Where the events go: RabbitMQ (for Myxi and the baseline) or a Socket.IO peer's own socket. */
    public interface Sink extends AutoCloseable {
        void publish(String key, byte[] body) throws Exception;

        @Override
        void close();

        /** What the sink has to report for the run record (confirms, failures...), read after {@link #close}; empty by default. */
        default Map<String, Object> stats() {
            return Map.of();
        }
    }

    private final Sink sink;

    /** Publishes to RabbitMQ, to the direct exchange {@code exchange}. */
    public Publisher(String amqpUrl, String exchange) throws Exception {
        this(new AmqpSink(amqpUrl, exchange));
    }

    public Publisher(Sink sink) {
        this.sink = sink;
    }

    /** Basic publishes on one channel of its own connection, without confirms (the node is measured, not the publisher). */
    static final class AmqpSink implements Sink {
        private final Connection connection;
        private final Channel channel;
        private final String exchange;

        AmqpSink(String amqpUrl, String exchange) throws Exception {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(amqpUrl);
            f.setConnectionTimeout(10_000);
            this.connection = f.newConnection("myxi-bench-publisher");
            this.channel = connection.createChannel();
            this.exchange = exchange;
            // Same declaration as Myxi and the gem: direct, non-durable, not auto-delete.
            channel.exchangeDeclare(exchange, "direct", false, false, null);
        }

        @Override
        public void publish(String key, byte[] body) throws Exception {
            channel.basicPublish(exchange, key, null, body);
        }

        @Override
        public void close() {
            try {
                connection.close(5_000);
            } catch (Exception e) {
                // best effort
            }
        }
    }

    /** What was published, per key. */
    public static final class Log {
        public final String[] keys;
        public final int[] counts;
        private final long[][] publishStartMicros;
        public long published;
        public long maxLagMicros;
        public long startMicros;
        public long endMicros;
        public volatile String error;

        Log(String[] keys) {
            this.keys = keys;
            this.counts = new int[keys.length];
            this.publishStartMicros = new long[keys.length][];
            for (int i = 0; i < keys.length; i++) {
                publishStartMicros[i] = new long[16];
            }
        }

        void add(int k, long startedMicros) {
            int c = counts[k];
            if (c == publishStartMicros[k].length) {
                publishStartMicros[k] = Arrays.copyOf(publishStartMicros[k], c * 2);
            }
            publishStartMicros[k][c] = startedMicros;
            counts[k] = c + 1;
        }

        /** Epoch micros at which the publish call of {@code seq} for key {@code k} started. */
        public long publishStartMicros(int k, int seq) {
            return publishStartMicros[k][seq];
        }

        /** The first seq of key {@code k} whose publish started strictly after {@code micros}; counts[k] if none. */
        public int firstSeqAfter(int k, long micros) {
            int lo = 0;
            int hi = counts[k];
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (publishStartMicros[k][mid] > micros) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }

    /**
     * Publishes {@code total} events at {@code rate} per second starting at {@code startMicros}
     * (epoch, in the near future or now). Returns when done or when {@code stop} is set.
     */
    public Log run(String[] keys, double rate, long total, int padBytes, long startMicros, java.util.function.BooleanSupplier stop) {
        Log log = new Log(keys);
        log.startMicros = startMicros;
        String pad = padBytes > 0 ? ",\"p\":\"" + "x".repeat(padBytes) + "\"" : "";
        long startNanos = System.nanoTime() + (startMicros - EpochClock.micros()) * 1_000;
        StringBuilder sb = new StringBuilder(128 + padBytes);
        try {
            for (long i = 0; i < total && !stop.getAsBoolean(); i++) {
                long offsetMicros = (long) (i * 1_000_000.0 / rate);
                long dueNanos = startNanos + offsetMicros * 1_000;
                long now;
                while ((now = System.nanoTime()) < dueNanos) {
                    LockSupport.parkNanos(Math.min(dueNanos - now, 10_000_000L));
                    if (stop.getAsBoolean()) {
                        return log;
                    }
                }
                int k = (int) (i % keys.length);
                int seq = log.counts[k];
                long intended = startMicros + offsetMicros;
                sb.setLength(0);
                sb.append("{\"event\":\"bench\",\"payload\":{\"k\":\"").append(keys[k]).append("\",\"s\":").append(seq)
                        .append(",\"t\":").append(intended).append(pad).append("}}");
                long started = EpochClock.micros();
                log.maxLagMicros = Math.max(log.maxLagMicros, started - intended);
                log.add(k, started);
                sink.publish(keys[k], sb.toString().getBytes(StandardCharsets.UTF_8));
                log.published++;
            }
        } catch (Exception e) {
            log.error = String.valueOf(e);
        } finally {
            log.endMicros = EpochClock.micros();
        }
        return log;
    }

    @Override
    public void close() {
        sink.close();
    }

    /** The sink's report ({@link Sink#stats}), complete after {@link #close}. */
    public Map<String, Object> sinkStats() {
        return sink.stats();
    }
}
