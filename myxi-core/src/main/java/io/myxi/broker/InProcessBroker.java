package io.myxi.broker;

import io.myxi.broker.internal.Binding;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker inside one JVM, for demos, development and fast tests: no RabbitMQ needed, but events
 * reach only the nodes of this process. Routing follows RabbitMQ's direct exchanges. Each node
 * queue delivers on a thread of its own, as RabbitMQ's consumer dispatch does.
 */
public final class InProcessBroker implements Broker {
  private static final Logger log = LoggerFactory.getLogger(InProcessBroker.class);
  private static final AtomicInteger QUEUE_NUMBERS = new AtomicInteger();

  /**
   * (exchange, routing key) -> queues bound. The sets are immutable and replaced only inside
   * {@code compute}, which is atomic per key: a bind can never add to a set that a concurrent unbind
   * of another queue is removing from the map.
   */
  private final Map<Binding, Set<InProcessQueue>> routes = new ConcurrentHashMap<>();
  private final Set<InProcessQueue> queues = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  @Override
  public void publish(String exchange, String routingKey, byte[] body, Duration timeout) {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(body, "body");
    if (closed.get()) {
      throw new BrokerException("in-process broker is closed");
    }
    Set<InProcessQueue> bound = routes.get(new Binding(exchange, routingKey));
    if (bound != null) {
      for (InProcessQueue queue : bound) {
        queue.deliver(exchange, routingKey, body);
      }
    }
  }

  @Override
  public NodeQueue openNodeQueue(NodeQueue.Listener listener) {
    if (closed.get()) {
      throw new BrokerException("in-process broker is closed");
    }
    InProcessQueue queue = new InProcessQueue(Objects.requireNonNull(listener, "listener"));
    queues.add(queue);
    return queue;
  }

  @Override
  public boolean isConnected() {
    return !closed.get();
  }

  @Override
  public String describe() {
    return "in-process";
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (InProcessQueue queue : queues) {
        queue.close();
      }
    }
  }

  private static Set<InProcessQueue> with(Set<InProcessQueue> bound, InProcessQueue queue) {
    Set<InProcessQueue> copy = new HashSet<>(bound);
    copy.add(queue);
    return Set.copyOf(copy);
  }

  private static Set<InProcessQueue> without(Set<InProcessQueue> bound, InProcessQueue queue) {
    Set<InProcessQueue> copy = new HashSet<>(bound);
    copy.remove(queue);
    return Set.copyOf(copy);
  }

  private final class InProcessQueue implements NodeQueue {
    private final String name = "myxi.in-process." + QUEUE_NUMBERS.incrementAndGet();
    private final NodeQueue.Listener listener;
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
    private final ExecutorService dispatcher;
    private final AtomicBoolean queueClosed = new AtomicBoolean();

    InProcessQueue(NodeQueue.Listener listener) {
      this.listener = listener;
      this.dispatcher = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, name + "-dispatch");
        thread.setDaemon(true);
        return thread;
      });
    }

    void deliver(String exchange, String routingKey, byte[] body) {
      try {
        dispatcher.execute(() -> {
          try {
            listener.onDelivery(exchange, routingKey, body);
          } catch (RuntimeException e) {
            log.error("Delivery listener threw; delivery on {} / {} dropped", exchange, routingKey, e);
          }
        });
      } catch (RejectedExecutionException closing) {
        // The queue closed while the event was routed to it: same as RabbitMQ deleting the queue.
      }
    }

    @Override
    public void bind(String exchange, String routingKey, Duration timeout) {
      if (queueClosed.get()) {
        throw new BrokerException("queue " + name + " is closed");
      }
      Binding binding = new Binding(exchange, routingKey);
      bindings.add(binding);
      routes.compute(binding, (key, bound) -> bound == null ? Set.of(this) : with(bound, this));
    }

    @Override
    public void unbind(String exchange, String routingKey) {
      Binding binding = new Binding(exchange, routingKey);
      bindings.remove(binding);
      routes.computeIfPresent(binding, (key, bound) -> {
        Set<InProcessQueue> rest = without(bound, this);
        return rest.isEmpty() ? null : rest;
      });
    }

    @Override
    public Set<String> bindings() {
      Set<String> joined = new HashSet<>();
      for (Binding binding : bindings) {
        joined.add(binding.joined());
      }
      return Set.copyOf(joined);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean isConnected() {
      return !queueClosed.get();
    }

    @Override
    public void close() {
      if (queueClosed.compareAndSet(false, true)) {
        for (Binding binding : Set.copyOf(bindings)) {
          unbind(binding.exchange(), binding.routingKey());
        }
        queues.remove(this);
        dispatcher.shutdown();
      }
    }
  }
}
