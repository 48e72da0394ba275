package io.myxi.bench;

import io.myxi.broker.RabbitMqBroker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the events of a run reach a Myxi node through RabbitMQ, and the broker options the node
 * under test gets to match: {@code amqp} (raw basic publishes, routing key = the key, one message
 * per event: the gem's way, the default) or {@code myxi} (a {@link RabbitMqBroker} of this process
 * with {@link RabbitMqBroker.Builder#packedPublishing} and {@link RabbitMqBroker.Builder#routingBuckets}).
 * The node gets the same options as {@code MYXI_PACKED_PUBLISHING} and {@code MYXI_ROUTING_BUCKETS}.
 * Neither applies to the Socket.IO peer nor to the S0 baseline server, which are always fed their own way.
 *
 * @param publisher {@link #AMQP} or {@link #MYXI}
 * @param packDelayMs null: not packed (unless routing buckets imply it); else the packing delay in ms, 0..1000
 * @param routingBuckets 0: a binding per key; else 1..65536 buckets (implies packing)
 * @param inFlight events of the {@code myxi} publisher awaiting their confirm at most
 */
record Publishing(String publisher, Integer packDelayMs, int routingBuckets, int inFlight) {
    static final String AMQP = "amqp";
    static final String MYXI = "myxi";
    static final String ENV_PACKED_PUBLISHING = "MYXI_PACKED_PUBLISHING";
    static final String ENV_ROUTING_BUCKETS = "MYXI_ROUTING_BUCKETS";
    static final int DEFAULT_IN_FLIGHT = 2000;

    /** Today's publisher: raw AMQP, nothing packed, a binding per key. */
    static final Publishing DEFAULT = new Publishing(AMQP, null, 0, DEFAULT_IN_FLIGHT);

    /**
     * Checks the options of one command line.
     *
     * @throws IllegalArgumentException naming the option, when a value is out of range or the
     *     raw AMQP publisher is combined with an option it cannot honour
     */
    Publishing {
        if (!AMQP.equals(publisher) && !MYXI.equals(publisher)) {
            throw new IllegalArgumentException("--publisher must be " + AMQP + " or " + MYXI + ", got '" + publisher + "'");
        }
        if (packDelayMs != null && (packDelayMs < 0 || packDelayMs > 1000)) {
            throw new IllegalArgumentException("--pack-delay-ms must be in 0..1000, got " + packDelayMs);
        }
        if (routingBuckets < 0 || routingBuckets > 65536) {
            throw new IllegalArgumentException("--routing-buckets must be 0 (off) or in 1..65536, got " + routingBuckets);
        }
        if (inFlight < 1) {
            throw new IllegalArgumentException("--publish-in-flight must be at least 1, got " + inFlight);
        }
        if (AMQP.equals(publisher) && packDelayMs != null) {
            throw new IllegalArgumentException("--pack-delay-ms needs --publisher " + MYXI + ": the raw AMQP publisher sends one message per event");
        }
        if (AMQP.equals(publisher) && routingBuckets > 0) {
            throw new IllegalArgumentException("--routing-buckets needs --publisher " + MYXI
                    + ": an event published by key reaches no node bound by buckets");
        }
    }

    /** S3's choice: routing buckets only; with buckets the broadcast traffic must go through Myxi, routed by bucket. */
    static Publishing withBuckets(int routingBuckets) {
        return new Publishing(routingBuckets > 0 ? MYXI : AMQP, null, routingBuckets, DEFAULT_IN_FLIGHT);
    }

    boolean isMyxi() {
        return MYXI.equals(publisher);
    }

    /** Whether anything differs from {@link #DEFAULT} (in-flight bound aside). */
    boolean isDefault() {
        return AMQP.equals(publisher) && packDelayMs == null && routingBuckets == 0;
    }

    /** The node's environment for these options; empty for the default. */
    Map<String, String> nodeEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        if (packDelayMs != null) {
            env.put(ENV_PACKED_PUBLISHING, packDelayMs + "ms");
        }
        if (routingBuckets > 0) {
            env.put(ENV_ROUTING_BUCKETS, Integer.toString(routingBuckets));
        }
        return env;
    }

    /** The same options on a builder of the {@code myxi} publisher. */
    RabbitMqBroker.Builder configure(RabbitMqBroker.Builder builder) {
        if (packDelayMs != null) {
            builder.packedPublishing(Duration.ofMillis(packDelayMs));
        }
        if (routingBuckets > 0) {
            builder.routingBuckets(routingBuckets);
        }
        return builder;
    }

    /** Appended to a run's variant, so the summary keeps these runs apart: empty for the default. */
    String variantSuffix() {
        if (isDefault()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(",publisher=").append(publisher);
        if (packDelayMs != null) {
            sb.append(",pack=").append(packDelayMs).append("ms");
        }
        if (routingBuckets > 0) {
            sb.append(",buckets=").append(routingBuckets);
        }
        return sb.toString();
    }

    /** For a run's config record: what the run used. */
    Map<String, Object> record() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("publisher", publisher);
        m.put("pack_delay_ms", packDelayMs);
        m.put("routing_buckets", routingBuckets);
        if (isMyxi()) {
            m.put("publish_in_flight", inFlight);
        }
        return m;
    }
}
