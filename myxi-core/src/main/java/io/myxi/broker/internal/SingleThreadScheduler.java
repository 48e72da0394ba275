package io.myxi.broker.internal;

import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A {@link Scheduler} on one daemon thread with the system clock. */
public final class SingleThreadScheduler implements Scheduler {
  private final ScheduledExecutorService executor;

  public SingleThreadScheduler(String threadName) {
    this.executor = Executors.newSingleThreadScheduledExecutor(AmqpSupport.daemonThreads(threadName));
  }

  @Override
  public void execute(Runnable task) {
    executor.execute(task);
  }

  @Override
  public void schedule(Runnable task, long delayMillis) {
    executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public void shutdown() {
    executor.shutdownNow();
  }
}
