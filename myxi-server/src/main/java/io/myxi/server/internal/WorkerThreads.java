package io.myxi.server.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's own threads: the worker pool on which every session's lane runs (actions,
 * authorizers, binding, close clean-up; these may block), and one timer thread (deadlines,
 * periodic re-authorization, the transport's handshake sweep and lingering closes; never blocks).
 */
final class WorkerThreads implements AutoCloseable {
  private final ExecutorService workers;
  private final ScheduledExecutorService timers;
  private final AtomicInteger workerNumbers = new AtomicInteger();

  WorkerThreads(int workerThreads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(workerThreads, workerThreads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
      Thread thread = new Thread(runnable, "myxi-worker-" + workerNumbers.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    pool.allowCoreThreadTimeOut(true);
    this.workers = pool;
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "myxi-timer");
      thread.setDaemon(true);
      return thread;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    this.timers = scheduler;
  }

  /** A new lane: tasks run one at a time, in order, on the worker pool. One per session. */
  SerialExecutor newLane() {
    return new SerialExecutor(workers);
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  /** Stops the timers at once and gives running tasks two seconds to end. */
  @Override
  public void close() {
    timers.shutdownNow();
    workers.shutdown();
    try {
      workers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }
}
