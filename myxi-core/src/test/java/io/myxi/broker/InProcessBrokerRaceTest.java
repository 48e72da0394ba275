package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link InProcessBroker#openNodeQueue} queues share one routing table: a binding added by one
 * queue must survive another queue removing its own binding of the same key at the same moment.
 */
class InProcessBrokerRaceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int ROUNDS = 100_000;

  @Test
  void bind_is_never_lost_to_a_concurrent_unbind_of_another_queue() throws Exception {
    try (InProcessBroker broker = new InProcessBroker()) {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      NodeQueue binder = broker.openNodeQueue((exchange, key, body) -> received.add(key));
      NodeQueue toggler = broker.openNodeQueue((exchange, key, body) -> {});
      AtomicInteger round = new AtomicInteger(-1);
      AtomicBoolean done = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      // The other queue binds and unbinds the key of the current round without pause, so its unbind
      // keeps emptying the key's entry while this thread binds it.
      Thread other = new Thread(() -> {
        try {
          while (!done.get()) {
            int current = round.get();
            if (current >= 0) {
              toggler.bind("race", "k" + current, TIMEOUT);
              toggler.unbind("race", "k" + current);
            }
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "test-toggler");
      other.start();
      try {
        for (int r = 0; r < ROUNDS; r++) {
          round.set(r);
          for (int spin = 0; spin < 50; spin++) {
            Thread.onSpinWait();
          }
          binder.bind("race", "k" + r, TIMEOUT);
        }
      } finally {
        done.set(true);
        other.join(TimeUnit.SECONDS.toMillis(30));
      }
      assertThat(failure.get()).isNull();

      for (int r = 0; r < ROUNDS; r++) {
        broker.publish("race", "k" + r, "x".getBytes(StandardCharsets.UTF_8), TIMEOUT);
      }
      binder.bind("race", "marker", TIMEOUT);
      broker.publish("race", "marker", new byte[0], TIMEOUT);
      int delivered = 0;
      for (String key = received.poll(10, TimeUnit.SECONDS); key != null && !key.equals("marker"); key = received.poll(10, TimeUnit.SECONDS)) {
        delivered++;
      }
      assertThat(ROUNDS - delivered).as("bindings lost to a concurrent unbind, out of %d", ROUNDS).isZero();
      assertThat(binder.bindings()).hasSize(ROUNDS + 1);
    }
  }
}
