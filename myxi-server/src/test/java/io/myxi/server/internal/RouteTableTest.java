package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.Subscription;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bind/unbind rules of the route table, without a broker: a binder that records its calls. */
class RouteTableTest {
  private static final Subscription NEWS = new Subscription("news", "1");
  private static final Subscription OTHER = new Subscription("news", "2");

  /** Records bind/unbind calls in order; can be made to fail or to block. */
  private static final class RecordingBinder implements RouteTable.Binder {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Integer> batches = new CopyOnWriteArrayList<>();
    volatile RuntimeException failBind;
    volatile CountDownLatch unbindEntered;
    volatile CountDownLatch unbindRelease;

    @Override
    public void bind(Subscription subscription) {
      if (failBind != null) {
        calls.add("bind-failed " + subscription.routingKey());
        throw failBind;
      }
      calls.add("bind " + subscription.routingKey());
    }

    @Override
    public java.util.Map<Subscription, RuntimeException> bindAll(List<Subscription> subscriptions) {
      batches.add(subscriptions.size());
      return RouteTable.Binder.super.bindAll(subscriptions);
    }

    @Override
    public void unbind(Subscription subscription) {
      if (unbindEntered != null) {
        unbindEntered.countDown();
        try {
          unbindRelease.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      calls.add("unbind " + subscription.routingKey());
    }
  }

  private final RecordingBinder binder = new RecordingBinder();
  private final RouteTable<String> table = new RouteTable<>(binder);

  @Test
  void binds_once_for_the_first_subscriber_and_unbinds_once_after_the_last() {
    table.add(NEWS, "a");
    table.add(NEWS, "b");
    assertThat(binder.calls).containsExactly("bind 1");
    assertThat(table.subscribers(NEWS)).containsExactlyInAnyOrder("a", "b");

    assertThat(table.remove(NEWS, "a")).isTrue();
    assertThat(binder.calls).containsExactly("bind 1");
    assertThat(table.remove(NEWS, "b")).isTrue();
    assertThat(binder.calls).containsExactly("bind 1", "unbind 1");
    assertThat(table.subscribers(NEWS)).isNull();
    assertThat(table.size()).isZero();
  }

  @Test
  void routes_are_independent() {
    table.add(NEWS, "a");
    table.add(OTHER, "a");
    table.remove(NEWS, "a");
    assertThat(binder.calls).containsExactly("bind 1", "bind 2", "unbind 1");
    assertThat(table.subscribers(OTHER)).containsExactly("a");
  }

  @Test
  void removing_an_unknown_subscriber_changes_nothing() {
    assertThat(table.remove(NEWS, "a")).isFalse();
    table.add(NEWS, "a");
    assertThat(table.remove(NEWS, "b")).isFalse();
    assertThat(binder.calls).containsExactly("bind 1");
    assertThat(table.subscribers(NEWS)).containsExactly("a");
  }

  @Test
  void a_failed_bind_adds_nobody_and_leaves_no_route_so_the_next_subscriber_binds_again() {
    binder.failBind = new IllegalStateException("broker down");
    assertThatThrownBy(() -> table.add(NEWS, "a")).hasMessage("broker down");
    assertThat(table.subscribers(NEWS)).isNull();
    assertThat(table.size()).isZero();

    binder.failBind = null;
    table.add(NEWS, "b");
    assertThat(binder.calls).containsExactly("bind-failed 1", "bind 1");
    assertThat(table.subscribers(NEWS)).containsExactly("b");
  }

  @Test
  void a_subscribe_racing_the_last_unsubscribe_binds_again_after_the_unbind() throws Exception {
    table.add(NEWS, "leaving");
    binder.unbindEntered = new CountDownLatch(1);
    binder.unbindRelease = new CountDownLatch(1);
    CompletableFuture<Boolean> leaving = CompletableFuture.supplyAsync(() -> table.remove(NEWS, "leaving"));
    assertThat(binder.unbindEntered.await(5, TimeUnit.SECONDS)).isTrue();

    // The last subscriber is unbinding; a new one arrives now and must wait for it.
    CountDownLatch arriving = new CountDownLatch(1);
    CompletableFuture<Void> joining = CompletableFuture.runAsync(() -> {
      arriving.countDown();
      table.add(NEWS, "joining");
    });
    assertThat(arriving.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(joining).isNotDone();
    binder.unbindRelease.countDown();
    assertThat(leaving.get(5, TimeUnit.SECONDS)).isTrue();
    joining.get(5, TimeUnit.SECONDS);

    // Never "bind, bind, unbind": the binding the new subscriber needs is made after the unbind.
    assertThat(binder.calls).containsExactly("bind 1", "unbind 1", "bind 1");
    assertThat(table.subscribers(NEWS)).containsExactly("joining");
  }

  @Test
  void a_batch_binds_only_new_routes_with_one_call_in_lock_order() {
    table.add(OTHER, "a");
    Subscription third = new Subscription("alerts", "9");
    var failures = table.addAll(List.of(OTHER, NEWS, third), "b", n -> n).join();
    assertThat(failures).isEmpty();
    assertThat(binder.batches).containsExactly(1, 2);
    assertThat(binder.calls).containsExactly("bind 2", "bind 9", "bind 1");
    assertThat(table.subscribers(OTHER)).containsExactlyInAnyOrder("a", "b");
    assertThat(table.subscribers(NEWS)).containsExactly("b");
    assertThat(table.boundCount()).isEqualTo(3);
  }

  @Test
  void the_binding_cap_refuses_new_routes_only_and_frees_a_place_on_unbind() {
    RouteTable<String> capped = new RouteTable<>(binder, 1);
    capped.add(NEWS, "a");
    assertThatThrownBy(() -> capped.add(OTHER, "a")).isInstanceOfSatisfying(RouteTable.LimitException.class,
        e -> assertThat(e.limit()).isEqualTo(RouteTable.Limit.NODE_BINDINGS));
    assertThat(capped.subscribers(OTHER)).isNull();
    capped.add(NEWS, "b"); // already bound: no new binding needed
    capped.remove(NEWS, "a");
    capped.remove(NEWS, "b");
    capped.add(OTHER, "a");
    assertThat(capped.boundCount()).isEqualTo(1);
  }

  @Test
  void bind_permits_cut_a_batch_and_a_failed_bind_counts_for_nothing() {
    var failures = table.addAll(List.of(NEWS, OTHER), "a", n -> 1).join();
    assertThat(failures).containsOnlyKeys(OTHER);
    assertThat(((RouteTable.LimitException) failures.get(OTHER)).limit()).isEqualTo(RouteTable.Limit.BIND_RATE);
    binder.failBind = new IllegalStateException("broker down");
    assertThat(table.addAll(List.of(OTHER), "a", n -> n).join()).containsOnlyKeys(OTHER);
    assertThat(table.boundCount()).isEqualTo(1);
    assertThat(table.size()).isEqualTo(1);
  }
}
