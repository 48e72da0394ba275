package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The counting of keys per bucket, against a fake queue underneath (no broker). */
class BucketedNodeQueueTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** Records what reaches the broker; binds of {@link #refused} fail. */
  static final class FakeQueue implements NodeQueue {
    // Changed by the bucket timer's thread too.
    final List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Set<String> bound = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final Set<String> refused = new HashSet<>();
    boolean connected = true;
    Listener listener;

    @Override
    public void bind(String exchange, String routingKey, Duration timeout) {
      throw new UnsupportedOperationException("apply only");
    }

    @Override
    public void unbind(String exchange, String routingKey) {
      throw new UnsupportedOperationException("apply only");
    }

    @Override
    public List<BrokerException> apply(List<Change> changes, Duration timeout) {
      List<BrokerException> results = new ArrayList<>();
      for (Change change : changes) {
        sent.add((change.bind() ? "bind " : "unbind ") + change.routingKey());
        if (change.bind() && (refused.contains(change.routingKey()) || !connected)) {
          results.add(new BrokerException("refused"));
        } else {
          if (change.bind()) {
            bound.add(change.routingKey());
          } else {
            bound.remove(change.routingKey());
          }
          results.add(null);
        }
      }
      return results;
    }

    @Override
    public Set<String> bindings() {
      return bound;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public boolean isConnected() {
      return connected;
    }

    @Override
    public void close() {}
  }

  private final FakeQueue fake = new FakeQueue();
  private final List<String> delivered = new ArrayList<>();
  private final NodeQueue queue = BucketedNodeQueue.open((exchange, key, body) -> delivered.add(key), 1, Duration.ZERO, listener -> {
    fake.listener = listener;
    return fake;
  });

  private static NodeQueue.Change bind(String key) {
    return new NodeQueue.Change("x", key, true);
  }

  private static NodeQueue.Change unbind(String key) {
    return new NodeQueue.Change("x", key, false);
  }

  @Test
  void only_the_first_key_of_a_bucket_binds_it_and_only_the_last_unbinds_it() {
    assertThat(queue.apply(List.of(bind("a"), bind("b")), TIMEOUT)).containsOnlyNulls();
    queue.bind("x", "c", TIMEOUT);
    queue.unbind("x", "a");
    queue.unbind("x", "b");
    assertThat(fake.sent).containsExactly("bind myxi.bucket.1.0");
    queue.unbind("x", "c");
    assertThat(fake.sent).containsExactly("bind myxi.bucket.1.0", "unbind myxi.bucket.1.0");
    assertThat(queue.bindings()).isEmpty();
  }

  @Test
  void a_failed_bucket_bind_fails_every_key_that_waited_for_it_and_none_stays_counted() {
    fake.refused.add("myxi.bucket.1.0");
    assertThat(queue.apply(List.of(bind("a"), bind("b")), TIMEOUT)).doesNotContainNull();
    assertThat(queue.bindings()).isEmpty();
    fake.refused.clear();
    assertThat(queue.apply(List.of(bind("a")), TIMEOUT)).containsOnlyNulls();
    assertThat(fake.sent).containsExactly("bind myxi.bucket.1.0", "bind myxi.bucket.1.0");
    assertThat(queue.bindings()).containsExactly("x\0a");
  }

  @Test
  void a_key_of_a_bound_bucket_fails_while_disconnected_as_any_bind() {
    queue.bind("x", "a", TIMEOUT);
    fake.connected = false;
    assertThat(queue.apply(List.of(bind("b")), TIMEOUT).get(0)).isNotNull();
    assertThat(queue.bindings()).containsExactly("x\0a");
  }

  @Test
  void a_bucket_left_empty_stays_bound_for_the_grace_period_and_a_key_coming_back_costs_no_bind() throws Exception {
    NodeQueue kept = BucketedNodeQueue.open((exchange, key, body) -> {}, 1, Duration.ofMillis(200), listener -> fake);
    kept.bind("x", "a", TIMEOUT);
    kept.unbind("x", "a");
    kept.bind("x", "b", TIMEOUT);
    kept.unbind("x", "b");
    assertThat(fake.sent).containsExactly("bind myxi.bucket.1.0");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> fake.bound.isEmpty());
    assertThat(fake.sent).containsExactly("bind myxi.bucket.1.0", "unbind myxi.bucket.1.0");
    kept.close();
  }

  @Test
  void events_of_keys_not_bound_here_are_not_passed_on() {
    queue.bind("x", "a", TIMEOUT);
    fake.listener.onDelivery("x", "a", new byte[0]);
    fake.listener.onDelivery("x", "b", new byte[0]);
    queue.unbind("x", "a");
    queue.bind("x", "b", TIMEOUT);
    fake.listener.onDelivery("x", "a", new byte[0]);
    fake.listener.onDelivery("x", "b", new byte[0]);
    assertThat(delivered).containsExactly("a", "b");
  }
}
