package io.myxi.broker.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.RejectedExecutionException;

/**
 * A {@link Scheduler} with virtual time, in the spirit of OkHttp's TaskFaker: tasks run on the test
 * thread when the test says so, and delays pass without waiting. Thread-safe, so other threads
 * (a fake AMQP client thread) may queue tasks.
 */
final class FakeScheduler implements Scheduler {
  private record Task(long dueMillis, long sequence, Runnable runnable) {}

  private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.dueMillis != b.dueMillis
      ? Long.compare(a.dueMillis, b.dueMillis) : Long.compare(a.sequence, b.sequence));
  /** Every delay asked of {@link #schedule}, in order. */
  final List<Long> scheduledDelays = new ArrayList<>();
  private long nowMillis;
  private long sequence;
  private boolean shutdown;
  private Thread runningOn;

  @Override
  public synchronized void execute(Runnable task) {
    add(task, 0);
  }

  @Override
  public synchronized void schedule(Runnable task, long delayMillis) {
    scheduledDelays.add(delayMillis);
    add(task, delayMillis);
  }

  private void add(Runnable task, long delayMillis) {
    if (shutdown) {
      throw new RejectedExecutionException("shut down");
    }
    tasks.add(new Task(nowMillis + delayMillis, sequence++, task));
  }

  @Override
  public synchronized Instant now() {
    return Instant.EPOCH.plusMillis(nowMillis);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
    tasks.clear();
  }

  synchronized boolean isShutdown() {
    return shutdown;
  }

  synchronized int pending() {
    return tasks.size();
  }

  /** Whether the calling thread is running a task of this scheduler: the "recovery thread". */
  synchronized boolean onSchedulerThread() {
    return runningOn == Thread.currentThread();
  }

  /** Runs, on the calling thread, every task due now, including those they queue for now. */
  void runUntilIdle() {
    advance(0);
  }

  /** Lets {@code millis} of virtual time pass, running each task at its due time. */
  void advance(long millis) {
    long until;
    synchronized (this) {
      until = nowMillis + millis;
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.dueMillis > until) {
          nowMillis = until;
          return;
        }
        tasks.poll();
        nowMillis = Math.max(nowMillis, next.dueMillis);
        runningOn = Thread.currentThread();
      }
      try {
        next.runnable.run();
      } finally {
        synchronized (this) {
          runningOn = null;
        }
      }
    }
  }
}
