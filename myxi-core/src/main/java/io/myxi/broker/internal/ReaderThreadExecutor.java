package io.myxi.broker.internal;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The consumer executor of the node queues' connection: it runs each task at once, on the thread
 * that hands it over, which for deliveries is the connection's own reader thread. A delivery then
 * reaches the listener without a hand-off to a dispatch thread: one thread wake-up less per
 * delivery (with packed publishing, per pack), and one thread less competing for the cores.
 *
 * <p>Safe only because no callback on that connection waits for the broker: the node queue's
 * deliveries and cancellations ({@link RabbitNodeQueue}, {@link QueueDeliveries}), the history
 * feeds' ({@link StreamConsumer}) and the history cursors' ({@link StreamCursor}) only queue work,
 * acknowledge (a write, no reply awaited) or hand recovery to the supervisor's thread, and the
 * listeners they call must not block ({@code NodeQueue.Listener}, {@code HistoryFeed.Listener}).
 * A callback that waited for a reply on this connection would wait forever: the thread that would
 * read the reply is the one waiting. Anything that needs the broker goes to the recovery thread.
 *
 * <p>The AMQP client never shuts down an executor it was given; {@link #shutdown} only records it.
 */
final class ReaderThreadExecutor extends AbstractExecutorService {
  private volatile boolean shutdown;

  @Override
  public void execute(Runnable task) {
    task.run();
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }
}
