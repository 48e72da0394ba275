package io.myxi.broker.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which queues are bound to each (exchange, routing key), for {@link io.myxi.broker.InProcessBroker}.
 *
 * <p>Thread-safe without a lock of its own: each key's set of queues is immutable and replaced
 * only inside {@code compute}/{@code computeIfPresent}, which are atomic per key. So a queue
 * binding a key can never add itself to a set that another queue's unbind is removing from the map.
 *
 * @param <Q> the queue type
 */
public final class RoutingTable<Q> {
  private final Map<Binding, Set<Q>> routes = new ConcurrentHashMap<>();

  public void add(Binding binding, Q queue) {
    routes.compute(binding, (key, bound) -> {
      if (bound == null) {
        return Set.of(queue);
      }
      Set<Q> copy = new HashSet<>(bound);
      copy.add(queue);
      return Set.copyOf(copy);
    });
  }

  public void remove(Binding binding, Q queue) {
    routes.computeIfPresent(binding, (key, bound) -> {
      Set<Q> copy = new HashSet<>(bound);
      copy.remove(queue);
      return copy.isEmpty() ? null : Set.copyOf(copy);
    });
  }

  /** The queues bound to {@code binding} now: an immutable snapshot. */
  public Set<Q> route(Binding binding) {
    return routes.getOrDefault(binding, Set.of());
  }
}
