package io.myxi.broker.internal;

import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;

/**
 * The one thread a {@link ConnectionSupervisor} runs on, and its clock. Production uses
 * {@link SingleThreadScheduler}; tests use a fake with virtual time, so reconnection delays are
 * checked without waiting.
 */
public interface Scheduler {
  /**
   * Runs {@code task} on the scheduler's thread, after the tasks already queued.
   *
   * @throws RejectedExecutionException after {@link #shutdown}
   */
  void execute(Runnable task);

  /**
   * Runs {@code task} on the scheduler's thread after {@code delayMillis}.
   *
   * @throws RejectedExecutionException after {@link #shutdown}
   */
  void schedule(Runnable task, long delayMillis);

  /** The current time, as the scheduler counts it. */
  Instant now();

  /** Drops queued tasks and refuses new ones; interrupts the running one. */
  void shutdown();
}
