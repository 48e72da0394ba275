package io.myxi.bench;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --publisher}, {@code --pack-delay-ms}, {@code --routing-buckets}, {@code --publish-in-flight}
 * of the load scenarios (S1, S2, S5): see {@link Publishing}.
 */
public final class PublishingOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--publisher", defaultValue = Publishing.AMQP, description = "How events reach a Myxi node: amqp (raw basic "
            + "publishes, routing key = the key, one message per event: the gem's way) or myxi (a RabbitMqBroker of the driver, "
            + "publishAsync, with --pack-delay-ms and --routing-buckets). The Socket.IO peer and the S0 baseline are always "
            + "fed their own way (default: ${DEFAULT-VALUE}).")
    String publisher;

    @Option(names = "--pack-delay-ms", description = "With --publisher myxi: packedPublishing(D ms), 0..1000, on the publisher "
            + "and on the node (MYXI_PACKED_PUBLISHING=Dms). Default: not packed.")
    Integer packDelayMs;

    @Option(names = "--routing-buckets", defaultValue = "0", description = "With --publisher myxi: routingBuckets(N), 1..65536, on "
            + "the publisher and on the node (MYXI_ROUTING_BUCKETS=N); implies packing (default: ${DEFAULT-VALUE}, off).")
    int routingBuckets;

    @Option(names = "--publish-in-flight", defaultValue = "" + Publishing.DEFAULT_IN_FLIGHT, description = "With --publisher myxi: "
            + "events awaiting their confirm at most; the open-loop publisher waits (and lags) beyond (default: ${DEFAULT-VALUE}).")
    int inFlight;

    /** The checked options; a bad combination is a usage error naming the option. */
    Publishing resolve() {
        try {
            return new Publishing(publisher, packDelayMs, routingBuckets, inFlight);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(mixee.commandLine(), e.getMessage());
        }
    }
}
