package io.myxi.broker;

import io.myxi.broker.internal.AmqpSupport;
import io.myxi.broker.internal.Binding;
import io.myxi.broker.internal.RoutingTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
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

  private final RoutingTable<InProcessQueue> routes = new RoutingTable<>();
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
    for (InProcessQueue queue : routes.route(new Binding(exchange, routingKey))) {
      queue.deliver(exchange, routingKey, body);
    }
  }

  /** Delivered (handed to the node queues) before it returns, so the future is already complete. */
  @Override
  public CompletableFuture<Void> publishAsync(String exchange, String routingKey, byte[] body, Duration timeout) {
    try {
      publish(exchange, routingKey, body, timeout);
      return CompletableFuture.completedFuture(null);
    } catch (BrokerException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Void> publishBatch(List<Message> messages, Duration timeout) {
    try {
      for (Message message : messages) {
        publish(message.exchange(), message.routingKey(), message.body(), timeout);
      }
      return CompletableFuture.completedFuture(null);
    } catch (BrokerException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public NodeQueue openNodeQueue(NodeQueue.Listener listener) {
    if (closed.get()) {
      throw new BrokerException("in-process broker is closed");
    }
    InProcessQueue queue = new InProcessQueue(Objects.requireNonNull(listener, "listener"), routes, queues::remove);
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

  /** One node queue: its own bindings in the shared routing table and its own dispatch thread. */
  private static final class InProcessQueue implements NodeQueue {
    private final String name = "myxi.in-process." + QUEUE_NUMBERS.incrementAndGet();
    private final NodeQueue.Listener listener;
    private final RoutingTable<InProcessQueue> routes;
    private final Consumer<InProcessQueue> onClose;
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
    private final ExecutorService dispatcher;
    private final AtomicBoolean queueClosed = new AtomicBoolean();

    InProcessQueue(NodeQueue.Listener listener, RoutingTable<InProcessQueue> routes, Consumer<InProcessQueue> onClose) {
      this.listener = listener;
      this.routes = routes;
      this.onClose = onClose;
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
            log.error("Delivery listener threw; delivery on {} / {} dropped", exchange, AmqpSupport.printable(routingKey), e);
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
      routes.add(binding, this);
    }

    @Override
    public void unbind(String exchange, String routingKey) {
      Binding binding = new Binding(exchange, routingKey);
      bindings.remove(binding);
      routes.remove(binding, this);
    }

    @Override
    public Set<String> bindings() {
      return bindings.stream().map(Binding::joined).collect(Collectors.toUnmodifiableSet());
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
        onClose.accept(this);
        dispatcher.shutdown();
      }
    }
  }
}
