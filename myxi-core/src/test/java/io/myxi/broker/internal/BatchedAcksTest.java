package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchedAcksTest {
  private final List<String> acks = new CopyOnWriteArrayList<>();
  private volatile boolean open = true;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Channel channel = (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
      (proxy, method, args) -> switch (method.getName()) {
        case "basicAck" -> {
          acks.add(args[0] + (Boolean.TRUE.equals(args[1]) ? "+" : ""));
          yield null;
        }
        case "isOpen" -> open;
        default -> throw new UnsupportedOperationException(method.getName());
      });

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void a_full_batch_is_acknowledged_at_once_with_multiple() throws Exception {
    BatchedAcks batched = new BatchedAcks(channel, 3, 60_000, timer);
    for (long tag = 1; tag <= 7; tag++) {
      batched.handled(tag);
    }
    assertThat(acks).containsExactly("3+", "6+");
  }

  @Test
  void the_rest_of_a_batch_is_acknowledged_after_the_delay() throws Exception {
    BatchedAcks batched = new BatchedAcks(channel, 64, 5, timer);
    batched.handled(1);
    batched.handled(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> acks.equals(List.of("2+")));
    batched.handled(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> acks.equals(List.of("2+", "3+")));
  }

  @Test
  void nothing_is_written_to_a_closed_channel() throws Exception {
    open = false;
    BatchedAcks batched = new BatchedAcks(channel, 1, 5, timer);
    batched.handled(1);
    assertThat(acks).isEmpty();
  }

  @Test
  void without_a_timer_the_rest_is_acknowledged_at_once() throws Exception {
    timer.shutdown();
    BatchedAcks batched = new BatchedAcks(channel, 64, 5, timer);
    batched.handled(1);
    assertThat(acks).containsExactly("1+");
  }

  @Test
  void the_batch_stays_far_below_the_prefetch() {
    assertThat(BatchedAcks.batchFor(1)).isEqualTo(1);
    assertThat(BatchedAcks.batchFor(40)).isEqualTo(10);
    assertThat(BatchedAcks.batchFor(1000)).isEqualTo(64);
  }
}
