package io.myxi.bench;

import io.myxi.broker.RabbitMqBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code --publisher myxi}: events go through a {@link RabbitMqBroker} of the driver, built with the
 * run's {@link Publishing} options (packed publishing, routing buckets), with {@code publishAsync}
 * to the broker exchange the node uses. Open-loop like the raw publisher, but with a bound on the
 * events awaiting their confirm (as {@code PublishBench}): past it the publisher waits, and its lag
 * shows in the run's {@code max_lag_ms}. Failures (no confirm in time, refused) are counted.
 */
final class MyxiSink implements Publisher.Sink {
    /** Longest wait for one confirm; a publish failing past it counts as failed. */
    static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    /** Longest wait at close for the confirms still outstanding. */
    private static final long CLOSE_WAIT_SECONDS = 30;

    /** A key no client subscribes to: RabbitMQ drops the event unless a node binds its bucket, and that node drops it. */
    static final String WARM_UP_KEY = "myxi-bench-warm-up";
    private static final byte[] WARM_UP_BODY = "{\"event\":\"warm-up\",\"payload\":null}".getBytes(StandardCharsets.UTF_8);

    private final RabbitMqBroker broker;
    private final String exchange;
    private final int inFlight;
    private final Semaphore permits;
    private final LongAdder confirmed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final AtomicLong waitedNanos = new AtomicLong();
    private long publishes;
    private long waits;
    private volatile boolean closed;
    private int unconfirmedAtClose = -1;

    MyxiSink(String amqpUrl, String exchange, Publishing publishing) {
        this.broker = publishing.configure(RabbitMqBroker.builder().uri(amqpUrl).connectionName("myxi-bench-publisher")).build();
        this.exchange = exchange;
        this.inFlight = publishing.inFlight();
        this.permits = new Semaphore(inFlight);
        try {
            // Opens the publishing connection before the run's clock starts, so the first events do not wait for it.
            broker.publish(exchange, WARM_UP_KEY, WARM_UP_BODY, PUBLISH_TIMEOUT);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    @Override
    public void publish(String key, byte[] body) throws Exception {
        if (!permits.tryAcquire()) {
            long t0 = System.nanoTime();
            waits++;
            boolean got = permits.tryAcquire(PUBLISH_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            waitedNanos.addAndGet(System.nanoTime() - t0);
            if (!got) {
                throw new IllegalStateException("no confirm for " + PUBLISH_TIMEOUT.toSeconds() + " s with " + inFlight + " events in flight");
            }
        }
        publishes++;
        broker.publishAsync(exchange, key, body, PUBLISH_TIMEOUT).whenComplete((x, e) -> {
            if (e == null) {
                confirmed.increment();
            } else {
                failed.increment();
                if (firstFailure.compareAndSet(null, String.valueOf(e))) {
                    System.err.println("[bench] myxi publisher: first failure: " + e);
                }
            }
            permits.release();
        });
    }

    /** Waits (bounded) for the outstanding confirms, then closes the broker. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (permits.tryAcquire(inFlight, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                permits.release(inFlight);
                unconfirmedAtClose = 0;
            } else {
                unconfirmedAtClose = inFlight - permits.availablePermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unconfirmedAtClose = inFlight - permits.availablePermits();
        } finally {
            broker.close();
        }
    }

    /** Confirms, failures and how long the bound held the publisher back; complete after {@link #close}. */
    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("publisher", Publishing.MYXI);
        m.put("publish_calls", publishes);
        m.put("confirmed", confirmed.sum());
        m.put("failed", failed.sum());
        m.put("unconfirmed_at_close", unconfirmedAtClose < 0 ? null : unconfirmedAtClose);
        m.put("in_flight_bound", inFlight);
        m.put("waits_for_bound", waits);
        m.put("waited_for_bound_ms", Math.round(waitedNanos.get() / 1e6));
        if (firstFailure.get() != null) {
            m.put("first_failure", firstFailure.get());
        }
        return m;
    }
}
