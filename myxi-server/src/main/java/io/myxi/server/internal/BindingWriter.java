package io.myxi.server.internal;

import io.myxi.broker.BrokerException;
import io.myxi.broker.NodeQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread ({@code myxi-binder}) that changes the node queue's bindings: binds and unbinds
 * of every session go into one FIFO, and what is waiting is sent as one batch ({@link
 * NodeQueue#apply}), so a storm of subscriptions costs a few round trips to the broker instead of
 * one per key, and no worker thread that serves other sessions talks to the broker.
 *
 * <p>Order: changes reach the broker in the order they were queued. That keeps {@link RouteTable}'s
 * rule that a route's unbind reaches the broker before a later bind of the same key, although
 * unbinds are only queued (nobody waits for them). A bind's future completes once the broker
 * confirmed (or refused) it; nobody blocks a thread for it. A bind still queued when the bind
 * timeout passed fails unsent; one sent is answered by the broker, so no binding is ever left that
 * no route knows.
 */
final class BindingWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BindingWriter.class);
  /** Most changes sent in one batch. */
  static final int MAX_BATCH = 1000;

  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Duration timeout;
  private final Thread thread;
  private volatile NodeQueue nodeQueue;
  private volatile boolean closed;

  BindingWriter(Duration timeout) {
    this.timeout = timeout;
    this.thread = new Thread(this::run, "myxi-binder");
    thread.setDaemon(true);
    thread.start();
  }

  /** The node queue to bind; set once the node started. */
  void useQueue(NodeQueue queue) {
    this.nodeQueue = queue;
  }

  /**
   * Queues the binds; the future completes once the broker answered them all, with one entry per
   * change: null when confirmed, else why not. A bind still queued when the bind timeout passed is
   * failed unsent; one sent is answered by the broker.
   */
  CompletableFuture<List<BrokerException>> bindAll(List<NodeQueue.Change> binds) {
    if (closed) {
      List<BrokerException> refused = new ArrayList<>();
      binds.forEach(change -> refused.add(new BrokerException("node is stopping")));
      return CompletableFuture.completedFuture(refused);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Op> ops = new ArrayList<>(binds.size());
    for (NodeQueue.Change change : binds) {
      ops.add(new Op(change, new CompletableFuture<>(), deadline));
    }
    queue.addAll(ops);
    return CompletableFuture.allOf(ops.stream().map(op -> op.result).toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<BrokerException> results = new ArrayList<>(ops.size());
      ops.forEach(op -> results.add(op.result.join()));
      return results;
    });
  }

  /** Queues an unbind; it reaches the broker after every change queued before it. */
  void unbind(String exchange, String routingKey) {
    if (!closed) {
      queue.add(new Op(new NodeQueue.Change(exchange, routingKey, false), null, 0));
    }
  }

  private void run() {
    List<Op> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      send(batch);
      batch.clear();
    }
    failWaiting();
  }

  private void send(List<Op> batch) {
    List<Op> sending = new ArrayList<>(batch.size());
    List<NodeQueue.Change> changes = new ArrayList<>(batch.size());
    long now = System.nanoTime();
    for (Op op : batch) {
      if (op.result != null && now - op.deadline > 0) {
        op.result.complete(new BrokerException("RabbitMQ did not confirm the binding within " + timeout.toMillis() + " ms"));
      } else {
        sending.add(op);
        changes.add(op.change);
      }
    }
    if (sending.isEmpty()) {
      return;
    }
    NodeQueue queue = nodeQueue;
    List<BrokerException> results;
    try {
      if (queue == null) {
        throw new BrokerException("node is not started");
      }
      results = queue.apply(changes, timeout);
    } catch (RuntimeException e) {
      log.warn("Binding batch of {} changes failed: {}", changes.size(), e.toString());
      BrokerException failure = e instanceof BrokerException broker ? broker : new BrokerException("binding failed", e);
      results = new ArrayList<>();
      for (int i = 0; i < changes.size(); i++) {
        results.add(failure);
      }
    }
    for (int i = 0; i < sending.size(); i++) {
      Op op = sending.get(i);
      if (op.result != null) {
        op.result.complete(results.get(i));
      }
    }
  }

  private void failWaiting() {
    List<Op> left = new ArrayList<>();
    queue.drainTo(left);
    for (Op op : left) {
      if (op.result != null) {
        op.result.complete(new BrokerException("node is stopping"));
      }
    }
  }

  /** Stops the thread; binds still waiting fail. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failWaiting();
  }

  /** One queued change; {@code result} is null for unbinds, which nobody waits for. */
  private static final class Op {
    final NodeQueue.Change change;
    final CompletableFuture<BrokerException> result;
    final long deadline;

    Op(NodeQueue.Change change, CompletableFuture<BrokerException> result, long deadline) {
      this.change = change;
      this.result = result;
      this.deadline = deadline;
    }
  }
}
