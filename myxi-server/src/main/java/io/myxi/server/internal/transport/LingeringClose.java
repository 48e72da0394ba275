package io.myxi.server.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes a socket after this server ended the WebSocket, the way careful HTTP servers do: stop
 * sending (a FIN after the close frame), read and drop whatever the peer still sends, and close
 * once the peer closes too or a short deadline passes.
 *
 * <p>Why: closing a socket with unread input makes the kernel send a reset, and a reset makes the
 * peer's kernel drop what the peer has not read yet, the close frame included. A client refused for
 * a message too large, still sending it, would see 1006 (abnormal) instead of 1009.
 *
 * <p>Thread-safe. Draining runs on the node's timer thread and never blocks: each round reads what
 * is there and reschedules itself.
 */
final class LingeringClose implements AutoCloseable {
  private static final long LINGER_MILLIS = 2000;
  private static final long ROUND_MILLIS = 20;
  /** Bytes dropped per round at most, so a flooding peer cannot hold the timer thread. */
  private static final int MAX_BYTES_PER_ROUND = 1024 * 1024;

  private final ScheduledExecutorService timers;
  private final Set<SocketChannel> lingering = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  LingeringClose(ScheduledExecutorService timers) {
    this.timers = timers;
  }

  /** Half-closes the socket now and closes it fully later; never blocks. */
  void close(SocketChannel socket) {
    if (closed || socket.isBlocking()) {
      closeQuietly(socket);
      return;
    }
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(socket);
      return;
    }
    lingering.add(socket);
    drain(socket, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS));
  }

  private void drain(SocketChannel socket, long deadlineNanos) {
    if (peerDone(socket) || System.nanoTime() - deadlineNanos > 0 || closed) {
      finish(socket);
      return;
    }
    try {
      timers.schedule(() -> drain(socket, deadlineNanos), ROUND_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopping) {
      finish(socket);
    }
  }

  /** Reads and drops what is there; true once the peer closed or failed. */
  private static boolean peerDone(SocketChannel socket) {
    ByteBuffer scratch = ByteBuffer.allocate(16 * 1024);
    long dropped = 0;
    try {
      while (dropped < MAX_BYTES_PER_ROUND) {
        int read = socket.read(scratch);
        if (read < 0) {
          return true;
        }
        if (read == 0) {
          return false;
        }
        dropped += read;
        scratch.clear();
      }
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private void finish(SocketChannel socket) {
    lingering.remove(socket);
    closeQuietly(socket);
  }

  static void closeQuietly(SocketChannel socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that is left to do; there is nobody to tell.
    }
  }

  /** Closes every socket still lingering: the server is stopping. */
  @Override
  public void close() {
    closed = true;
    for (SocketChannel socket : List.copyOf(lingering)) {
      finish(socket);
    }
  }
}
