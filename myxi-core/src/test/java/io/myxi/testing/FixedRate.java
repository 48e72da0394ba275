package io.myxi.testing;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs a task at a fixed rate on a thread of its own, as a feed publishes: tests that need a steady
 * stream of events use it instead of sleeping between sends. The task gets the run number, from 0.
 */
public final class FixedRate implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "test-fixed-rate");
    thread.setDaemon(true);
    return thread;
  });
  private final AtomicInteger runs = new AtomicInteger();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final CountDownLatch done;

  private FixedRate(Duration period, int count, IntConsumer task) {
    this.done = new CountDownLatch(count);
    timer.scheduleAtFixedRate(() -> {
      int run = runs.get();
      if (run >= count || failure.get() != null) {
        return;
      }
      try {
        task.accept(run);
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
        while (done.getCount() > 0) {
          done.countDown();
        }
        return;
      }
      runs.incrementAndGet();
      done.countDown();
    }, 0, period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs {@code task} every {@code period} until closed. */
  public static FixedRate start(Duration period, IntConsumer task) {
    return new FixedRate(period, Integer.MAX_VALUE, task);
  }

  /** Runs {@code task} {@code count} times, every {@code period}; rethrows its first failure. */
  public static void times(int count, Duration period, Duration timeout, IntConsumer task) throws InterruptedException {
    try (FixedRate rate = new FixedRate(period, count, task)) {
      if (!rate.done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(count + " runs every " + period.toMillis() + " ms did not finish within " + timeout.toMillis() + " ms");
      }
      RuntimeException failed = rate.failure.get();
      if (failed != null) {
        throw failed;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    timer.shutdownNow();
    timer.awaitTermination(10, TimeUnit.SECONDS);
  }
}
