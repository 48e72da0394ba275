package io.myxi.bench;

import io.myxi.Authorizer;
import io.myxi.Event;
import io.myxi.Myxi;
import io.myxi.bench.proc.ProcFs;
import io.myxi.bench.proc.RabbitCtl;
import io.myxi.bench.report.Stats;
import io.myxi.broker.RabbitMqBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Confirmed events per second from one process through {@link Myxi#pushEventAsync} (a bounded
 * number in flight) or {@link Myxi#pushEvents} (batches), to the local broker; the publisher runs in
 * this JVM. One JSON line per run with the settings, the rate, and the CPU of this process and of
 * RabbitMQ per event.
 */
final class PublishBench {
    private PublishBench() {
    }

    static Map<String, Object> run(String amqpUrl, long events, int batch, int inFlight, int keys, int payloadBytes, int run, String out)
            throws Exception {
        String exchange = "bench-publish-" + Long.toHexString(System.nanoTime());
        RabbitMqBroker broker = RabbitMqBroker.builder().uri(amqpUrl).connectionName("myxi-bench-publish").build();
        try (broker; Myxi myxi = Myxi.builder().broker(broker).exchange(exchange, Authorizer.authenticated())
                .publishTimeout(Duration.ofSeconds(30)).build()) {
            String pad = "x".repeat(payloadBytes);
            myxi.pushEvent(exchange, "warm-up", "bench", Map.of("p", pad));
            long rabbitPid = RabbitCtl.brokerPid();
            long selfPid = ProcessHandle.current().pid();
            long self0 = ProcFs.cpuMicros(selfPid);
            long rabbit0 = rabbitPid > 0 ? ProcFs.cpuMicros(rabbitPid) : -1;
            long started = System.nanoTime();
            // In flight: events (single) or batches, bounded by permits released on confirm.
            Semaphore permits = new Semaphore(batch > 1 ? Math.max(1, inFlight / batch) : inFlight);
            AtomicLong failed = new AtomicLong();
            List<CompletableFuture<Void>> tail = new ArrayList<>();
            for (long i = 0; i < events; ) {
                if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no confirm for 60 s");
                }
                CompletableFuture<Void> f;
                long first = i;
                if (batch > 1) {
                    List<Event> list = new ArrayList<>(batch);
                    for (int b = 0; b < batch && i < events; b++, i++) {
                        list.add(Event.of(exchange, "k" + (i % keys), "bench", Map.of("s", i, "p", pad)));
                    }
                    f = myxi.pushEvents(list);
                } else {
                    f = myxi.pushEventAsync(exchange, "k" + (i % keys), "bench", Map.of("s", i, "p", pad));
                    i++;
                }
                long count = i - first;
                f.whenComplete((x, e) -> {
                    // A failed batch counts all its events: some of them may have been confirmed.
                    if (e != null && failed.getAndAdd(count) == 0) {
                        System.err.println("[bench] first failure: " + e);
                    }
                    permits.release();
                });
                if (events - i < inFlight) {
                    tail.add(f);
                }
            }
            CompletableFuture.allOf(tail.toArray(CompletableFuture[]::new)).handle((x, e) -> null).get(120, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - started) / 1e9;
            long selfCpu = ProcFs.cpuMicros(selfPid) - self0;
            long rabbitCpu = rabbitPid > 0 ? ProcFs.cpuMicros(rabbitPid) - rabbit0 : -1;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("scenario", "publish");
            r.put("target", "myxi");
            r.put("variant", (batch > 1 ? "pushEvents,batch=" + batch : "pushEventAsync") + ",in_flight=" + inFlight);
            r.put("run", run);
            r.put("started_at", Instant.now().toString());
            r.put("host", Harness.host());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("events", events);
            s.put("failed", failed.get());
            s.put("confirmed_per_s", Stats.round((events - failed.get()) / seconds, 0));
            s.put("publisher_cpu_us_per_event", Stats.num((double) selfCpu / events, 2));
            s.put("rabbit_cpu_us_per_event", rabbitCpu < 0 ? null : Stats.num((double) rabbitCpu / events, 2));
            s.put("keys", keys);
            s.put("payload_bytes", payloadBytes);
            r.put("summary", s);
            Files.createDirectories(Path.of(out).toAbsolutePath().getParent());
            Files.writeString(Path.of(out), Harness.JSON.writeValueAsString(r) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            System.out.println("[bench] publish " + r.get("variant") + " run " + run + ": " + Harness.JSON.writeValueAsString(s));
            return r;
        } finally {
            deleteExchange(amqpUrl, exchange);
        }
    }

    private static void deleteExchange(String amqpUrl, String exchange) {
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        try {
            f.setUri(amqpUrl);
            try (com.rabbitmq.client.Connection c = f.newConnection("myxi-bench-cleanup")) {
                c.createChannel().exchangeDelete(exchange);
            }
        } catch (Exception e) {
            System.err.println("[bench] could not delete exchange " + exchange + ": " + e);
        }
    }
}
