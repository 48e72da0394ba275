package io.myxi.server.internal;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: a session's actions keep their
 * order while sessions run in parallel, without a thread per session. A task that waits for the
 * broker hands its worker back with {@link #holdUntil}: the lane's next task starts only once that
 * wait is over, but no thread is blocked meanwhile.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor pool;
  private final Queue<Runnable> tasks = new ArrayDeque<>();
  private boolean running; // guarded by this
  private CompletionStage<?> hold; // set and read by the running task's thread only

  SerialExecutor(Executor pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    schedule();
  }

  /**
   * Called by the running task: the lane's next task starts after {@code stage} completed (however
   * it completed), not when this task returns. The task's own continuation runs on {@code stage}.
   */
  void holdUntil(CompletionStage<?> stage) {
    this.hold = stage;
  }

  /** Tasks waiting, including the one running. */
  synchronized int pending() {
    return tasks.size();
  }

  private void schedule() {
    try {
      pool.execute(this::runNext);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        tasks.clear();
        running = false;
      }
    }
  }

  private void runNext() {
    Runnable task;
    synchronized (this) {
      task = tasks.peek();
    }
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      log.error("Uncaught exception in a session task", e);
    } finally {
      CompletionStage<?> held = hold;
      hold = null;
      if (held == null) {
        finishTask();
      } else {
        held.whenComplete((result, failure) -> finishTask());
      }
    }
  }

  private void finishTask() {
    boolean more;
    synchronized (this) {
      tasks.poll();
      more = !tasks.isEmpty();
      running = more;
    }
    if (more) {
      schedule();
    }
  }
}
