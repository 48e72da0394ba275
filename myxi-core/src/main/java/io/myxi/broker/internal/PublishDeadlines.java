package io.myxi.broker.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Fails what is not confirmed at its deadline: one timer per batch, cancelled (and removed) when
 * the batch is settled, so nothing lingers.
 */
final class PublishDeadlines {
  private final ScheduledThreadPoolExecutor timers;

  PublishDeadlines() {
    this.timers = new ScheduledThreadPoolExecutor(1, AmqpSupport.daemonThreads("myxi-amqp-publish-deadlines"));
    timers.setRemoveOnCancelPolicy(true);
  }

  /** Expires {@code batch} at {@code deadline} unless {@code settled} completes first; false once shut down. */
  boolean watch(List<PendingPublish> batch, CompletableFuture<Void> settled, long deadline) {
    ScheduledFuture<?> timer;
    try {
      timer = timers.schedule(() -> batch.forEach(PendingPublish::expire), Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return false;
    }
    settled.whenComplete((ignored, error) -> timer.cancel(false));
    return true;
  }

  /** Deadlines already set still fire: nothing waits past its timeout. */
  void shutdown() {
    timers.shutdown();
  }
}
