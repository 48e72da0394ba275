package io.myxi.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** --publisher, --pack-delay-ms, --routing-buckets: parsing, checks, the node's environment and the records. */
class PublishingTest {
    @Command(name = "t")
    static final class Cmd implements Callable<Integer> {
        @Mixin
        PublishingOptions publishing;
        final AtomicReference<Publishing> resolved = new AtomicReference<>();

        @Override
        public Integer call() {
            resolved.set(publishing.resolve());
            return 0;
        }
    }

    /** Runs the options as a command line would; the resolved options, or null with the usage error in {@code err}. */
    private static Publishing parse(StringWriter err, String... args) {
        Cmd cmd = new Cmd();
        CommandLine line = new CommandLine(cmd);
        line.setErr(new PrintWriter(err, true));
        int code = line.execute(args);
        return code == 0 ? cmd.resolved.get() : null;
    }

    @Test
    void the_default_is_todays_raw_amqp_publisher_with_nothing_for_the_node() {
        Publishing p = parse(new StringWriter());
        assertThat(p).isEqualTo(Publishing.DEFAULT);
        assertThat(p.isMyxi()).isFalse();
        assertThat(p.isDefault()).isTrue();
        assertThat(p.nodeEnv()).isEmpty();
        assertThat(p.variantSuffix()).isEmpty();
        assertThat(p.record()).containsEntry("publisher", "amqp").containsEntry("routing_buckets", 0).containsEntry("pack_delay_ms", null)
                .doesNotContainKey("publish_in_flight");
    }

    @Test
    void myxi_with_packing_and_buckets_gives_the_node_the_same_options() {
        Publishing p = parse(new StringWriter(), "--publisher", "myxi", "--pack-delay-ms", "1", "--routing-buckets", "256");
        assertThat(p).isEqualTo(new Publishing("myxi", 1, 256, Publishing.DEFAULT_IN_FLIGHT));
        assertThat(p.nodeEnv()).containsExactly(Map.entry("MYXI_PACKED_PUBLISHING", "1ms"), Map.entry("MYXI_ROUTING_BUCKETS", "256"));
        assertThat(p.variantSuffix()).isEqualTo(",publisher=myxi,pack=1ms,buckets=256");
        assertThat(p.record()).containsEntry("publisher", "myxi").containsEntry("pack_delay_ms", 1).containsEntry("routing_buckets", 256)
                .containsEntry("publish_in_flight", 2000);
    }

    @Test
    void myxi_alone_publishes_unpacked_and_the_node_gets_nothing() {
        Publishing p = parse(new StringWriter(), "--publisher", "myxi", "--publish-in-flight", "500");
        assertThat(p.isMyxi()).isTrue();
        assertThat(p.inFlight()).isEqualTo(500);
        assertThat(p.nodeEnv()).isEmpty();
        assertThat(p.variantSuffix()).isEqualTo(",publisher=myxi");
        assertThat(parse(new StringWriter(), "--publisher", "myxi", "--pack-delay-ms", "0").nodeEnv())
                .as("0: packed without delay, not off").containsExactly(Map.entry("MYXI_PACKED_PUBLISHING", "0ms"));
    }

    @Test
    void bad_values_and_combinations_are_usage_errors_naming_the_option() {
        assertUsageError("--publisher must be amqp or myxi, got 'rabbit'", "--publisher", "rabbit");
        assertUsageError("--pack-delay-ms needs --publisher myxi", "--pack-delay-ms", "1");
        assertUsageError("--routing-buckets needs --publisher myxi", "--routing-buckets", "256");
        assertUsageError("--pack-delay-ms must be in 0..1000, got 1001", "--publisher", "myxi", "--pack-delay-ms", "1001");
        assertUsageError("--pack-delay-ms must be in 0..1000, got -1", "--publisher", "myxi", "--pack-delay-ms", "-1");
        assertUsageError("--routing-buckets must be 0 (off) or in 1..65536, got 65537", "--publisher", "myxi", "--routing-buckets", "65537");
        assertUsageError("--publish-in-flight must be at least 1, got 0", "--publisher", "myxi", "--publish-in-flight", "0");
        assertUsageError("Invalid value for option '--routing-buckets'", "--publisher", "myxi", "--routing-buckets", "many");
    }

    private static void assertUsageError(String message, String... args) {
        StringWriter err = new StringWriter();
        assertThat(parse(err, args)).as(String.join(" ", args)).isNull();
        assertThat(err.toString()).as(String.join(" ", args)).contains(message);
    }

    @Test
    void s3s_buckets_switch_its_broadcast_publisher_to_myxi() {
        assertThat(Publishing.withBuckets(0)).isEqualTo(Publishing.DEFAULT);
        Publishing p = Publishing.withBuckets(256);
        assertThat(p.isMyxi()).isTrue();
        assertThat(p.packDelayMs()).as("the builder implies packing without delay").isNull();
        assertThat(p.nodeEnv()).containsExactly(Map.entry("MYXI_ROUTING_BUCKETS", "256"));
        assertThat(p.variantSuffix()).isEqualTo(",publisher=myxi,buckets=256");
        assertThatThrownBy(() -> Publishing.withBuckets(-1)).hasMessage("--routing-buckets must be 0 (off) or in 1..65536, got -1");
    }

    @Test
    void the_options_apply_to_myxi_nodes_only() {
        Options o = new Options();
        o.publishing = new Publishing("myxi", 1, 256, 100);
        assertThat(o.nodeEnv()).containsEntry("MYXI_ROUTING_BUCKETS", "256");
        assertThat(o.variant("clients=keys=2000,rate=10000/s")).isEqualTo("clients=keys=2000,rate=10000/s,publisher=myxi,pack=1ms,buckets=256");
        assertThat(o.publishingRecord()).containsEntry("publisher", "myxi");

        o.peer = Options.SOCKET_IO;
        assertThat(o.nodeEnv()).as("the Socket.IO peer is unaffected").isEmpty();
        assertThat(o.variant("clients=keys=2000,rate=10000/s")).isEqualTo("clients=keys=2000,rate=10000/s");
        assertThat(o.publishingRecord()).containsExactly(Map.entry("publisher", "socketio"));

        o.peer = null;
        o.baseline = true;
        assertThat(o.nodeEnv()).as("nor is the S0 baseline").isEmpty();
        assertThat(o.publishingRecord()).containsExactly(Map.entry("publisher", "amqp"));
    }
}
