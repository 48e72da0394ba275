package io.myxi.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The {@code myxi} publisher against the local RabbitMQ: confirmed publishes to the exchange, by key, counted. */
class MyxiSinkTest {
    private static final String AMQP = System.getenv().getOrDefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672");

    @Test
    void publishes_by_key_to_the_exchange_and_counts_the_confirms() throws Exception {
        String exchange = "myxi-bench-sink-test-" + Long.toHexString(System.nanoTime());
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(AMQP);
        try (Connection c = f.newConnection("myxi-bench-sink-test")) {
            Channel ch = c.createChannel();
            ch.exchangeDeclare(exchange, "direct", false, false, null);
            String queue = ch.queueDeclare().getQueue();
            ch.queueBind(queue, exchange, "k1");
            CountDownLatch all = new CountDownLatch(100);
            AtomicInteger other = new AtomicInteger();
            ch.basicConsume(queue, true, (tag, delivery) -> {
                if (new String(delivery.getBody(), StandardCharsets.UTF_8).contains("\"k\":\"k1\"")) {
                    all.countDown();
                } else {
                    other.incrementAndGet();
                }
            }, tag -> { });
            try {
                MyxiSink sink = new MyxiSink(AMQP, exchange, new Publishing(Publishing.MYXI, null, 0, 8));
                for (int i = 0; i < 100; i++) {
                    sink.publish("k1", ("{\"event\":\"bench\",\"payload\":{\"k\":\"k1\",\"s\":" + i + "}}").getBytes(StandardCharsets.UTF_8));
                    sink.publish("k2", ("{\"event\":\"bench\",\"payload\":{\"k\":\"k2\",\"s\":" + i + "}}").getBytes(StandardCharsets.UTF_8));
                }
                sink.close();
                assertThat(all.await(10, TimeUnit.SECONDS)).as("k1's events arrive").isTrue();
                assertThat(other.get()).as("neither k2's nor the warm-up event: not bound").isZero();
                assertThat(sink.stats()).containsEntry("publisher", "myxi").containsEntry("publish_calls", 200L).containsEntry("confirmed", 200L)
                        .containsEntry("failed", 0L).containsEntry("unconfirmed_at_close", 0).containsEntry("in_flight_bound", 8);
            } finally {
                ch.exchangeDelete(exchange);
            }
        }
    }
}
