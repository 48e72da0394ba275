package io.myxi.server.internal.transport;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the outgoing frames of plain (non-TLS) connections on one thread of its own, instead of
 * Java-WebSocket's selector thread.
 *
 * <p>Why: for every frame the library sets write interest and wakes its selector, and its selector
 * loop never removes a key it selected only for writing from the selected-key set. Every
 * connection that was ever written to therefore stays there, and every wake-up walks all of them,
 * each with a needless write attempt and interest change: with 5,000 connections one event for one
 * session cost the node ~220 µs of CPU (found with JFR under the S2 benchmark). Here a sender only
 * marks its connection dirty (once until it is written) and wakes this thread, which writes the
 * dirty connections and nothing else. A socket that does not take everything (a slow reader) is
 * watched for room by this thread's selector. Writing on the senders' threads instead was tried:
 * it serialised a broadcast's thousands of writes on the one thread that fans events out, and
 * halved broadcast throughput at saturation.
 *
 * <p>Replies jump the queue ({@link #expedite}): while this thread writes one event to each of
 * thousands of connections, a connection that was sent a reply (a set-up's {@code Welcome},
 * {@code Authenticated}, {@code Subscribed}) or its handshake response is written within the next
 * {@value #EXPEDITE_EVERY} writes, not after the whole broadcast. A client's set-up takes several
 * round trips, each of which would otherwise wait behind every broadcast under way. Frames of one
 * connection keep their order: they share its out-queue, which a write takes whole.
 *
 * <p>A sender that reaches few connections at a time (one event for one session) may write its
 * frame itself ({@link #writeNow}) when the socket is free and takes it whole: that saves this
 * thread's wake-up and a hop for most single-recipient events. Anything else still comes here.
 *
 * <p>Closing a connection after its last frame ({@code flushAndClose}) is done here too, as the
 * library does on its selector thread.
 *
 * <p>Thread-safe: {@link #onWriteDemand} is called by any thread that sends.
 */
final class SocketWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SocketWriter.class);

  /** Dirty connections not written yet need this many writes of others at most before a reply's. */
  static final int EXPEDITE_EVERY = 16;

  private final Queue<MyxiWebSocket> dirty = new ConcurrentLinkedQueue<>();
  /**
   * Connections sent a reply or a handshake response, to write before the rest. Each is in
   * {@link #dirty} too (it was marked dirty when its bytes were queued), so dropping this queue
   * loses nothing.
   */
  private final Queue<MyxiWebSocket> expedited = new ConcurrentLinkedQueue<>();
  /**
   * The writer thread is awake, or a wake-up is on its way to it: a sender need not send another.
   * Cleared by the writer thread only when it is about to sleep, so the senders of a pack or a
   * broadcast wake it once, not once per connection it has not reached yet.
   */
  private final AtomicBoolean wakeUpPending = new AtomicBoolean();
  /** Made on first need (under this lock); read without it on every send. */
  private volatile Selector selector;
  private Thread thread;
  private volatile boolean closed;

  /**
   * Called after the library queued bytes for {@code webSocket}. Returns false when this writer
   * does not handle the connection (TLS): the library's own path must be taken.
   */
  boolean onWriteDemand(MyxiWebSocket webSocket) {
    if (!(webSocket.getChannel() instanceof CountingChannel channel) || !channel.isPlain()) {
      return false;
    }
    if (webSocket.getReadyState() == ReadyState.NOT_YET_CONNECTED) {
      expedited.add(webSocket); // the handshake response: the first of a set-up's round trips
    }
    if (channel.markDirty()) {
      dirty.add(webSocket);
      Selector own = selector;
      if (own == null) {
        own = start();
      }
      if (closed || own == null) {
        // Stopped: nothing is written any more, and the socket must not stay open.
        webSocket.outQueue.clear();
        LingeringClose.closeQuietly(channel.socket());
      } else if (wakeUpPending.compareAndSet(false, true)) {
        own.wakeup();
      }
    }
    return true;
  }

  /**
   * Called after a sender queued a frame for {@code webSocket}: writes what the connection has
   * queued on the calling thread if no other thread is writing it, no earlier frame waits for room
   * and the socket takes everything now; otherwise as {@link #onWriteDemand}. Never blocks. Not for
   * senders that reach many connections at once: their writes would be serialised on their thread
   * (see the class comment). Returns false for a connection this writer does not handle (TLS).
   */
  boolean writeNow(MyxiWebSocket webSocket) {
    // An interrupted thread must not write: the JDK closes a channel written to by one.
    if (!closed && !webSocket.isFlushAndClose() && !Thread.currentThread().isInterrupted()
        && webSocket.getChannel() instanceof CountingChannel channel && channel.isPlain()) {
      try {
        if (channel.tryFlush(webSocket.outQueue)) {
          return true;
        }
      } catch (IOException e) {
        // Left to this writer's thread, which meets the error too and closes the connection there,
        // not on the sender's thread.
      }
    }
    return onWriteDemand(webSocket);
  }

  /**
   * Writes {@code webSocket} ahead of the connections waiting (see the class comment). Called after
   * a reply was queued on it, which already marked it dirty and woke this thread if needed; the wake-up
   * here covers a connection that was dirty already.
   */
  void expedite(MyxiWebSocket webSocket) {
    Selector own = selector;
    if (own == null || closed || !(webSocket.getChannel() instanceof CountingChannel channel) || !channel.isPlain()) {
      return;
    }
    expedited.add(webSocket);
    if (wakeUpPending.compareAndSet(false, true)) {
      own.wakeup();
    }
  }

  /** Starts the writer thread on first use; null once closed. */
  private synchronized Selector start() {
    if (closed) {
      return null;
    }
    if (selector == null) {
      try {
        selector = Selector.open();
      } catch (IOException e) {
        throw new IllegalStateException("cannot open a selector for the socket writer", e);
      }
      Selector own = selector;
      thread = new Thread(() -> run(own), "myxi-socket-writer");
      thread.setDaemon(true);
      thread.start();
    }
    return selector;
  }

  private void run(Selector selector) {
    while (!closed) {
      try {
        if (dirty.isEmpty() && expedited.isEmpty()) {
          // About to sleep: from here on a sender must wake this thread. Checked again after the
          // flag is cleared: a connection queued before that found the flag set and sent nothing.
          wakeUpPending.set(false);
          if (dirty.isEmpty() && expedited.isEmpty()) {
            selector.select();
          } else {
            selector.selectNow();
          }
        } else {
          selector.selectNow();
        }
        writeWhereThereIsRoom(selector);
        writeExpedited(selector);
        writeDirty(selector);
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.warn("Socket writer: {}", e.toString(), e);
        }
      }
    }
  }

  /** Connections whose socket was full and has room now. */
  private void writeWhereThereIsRoom(Selector selector) {
    for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
      SelectionKey key = keys.next();
      keys.remove();
      write((MyxiWebSocket) key.attachment(), selector);
    }
  }

  private void writeDirty(Selector selector) {
    int written = 0;
    for (MyxiWebSocket webSocket; (webSocket = dirty.poll()) != null; ) {
      write(webSocket, selector);
      if (++written % EXPEDITE_EVERY == 0 && !expedited.isEmpty()) {
        writeExpedited(selector);
      }
    }
  }

  /**
   * Connections sent a reply. A connection written here stays in {@link #dirty}; its turn there
   * finds little or nothing left to write.
   */
  private void writeExpedited(Selector selector) {
    for (MyxiWebSocket webSocket; (webSocket = expedited.poll()) != null; ) {
      write(webSocket, selector);
    }
  }

  /**
   * Writes what the connection has queued. A full socket is watched for room (selector may be null
   * when stopping: it is then dropped). Runs on the writer thread, or on the stopping thread once
   * the writer thread has ended.
   */
  private static void write(MyxiWebSocket webSocket, Selector selector) {
    if (!(webSocket.getChannel() instanceof CountingChannel channel)) {
      return;
    }
    // Cleared before writing: what a sender queues meanwhile makes the connection dirty again.
    channel.clearDirty();
    SelectionKey key = selector == null ? null : channel.socket().keyFor(selector);
    try {
      if (channel.flush(webSocket.outQueue)) {
        if (key != null && key.isValid()) {
          key.interestOps(0);
        }
        // In this order: the close frame is queued before the close is flagged, so once the flag
        // is seen, an empty queue means the close frame is written. Otherwise the sender marked
        // the connection dirty again and the next round writes it and closes.
        if (webSocket.isFlushAndClose() && webSocket.outQueue.isEmpty()) {
          webSocket.closeConnection();
        }
      } else if (selector == null) {
        webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, "server stopped before the peer read everything");
      } else if (key == null) {
        channel.socket().register(selector, SelectionKey.OP_WRITE, webSocket);
      } else if (key.isValid()) {
        key.interestOps(SelectionKey.OP_WRITE);
      }
    } catch (ClosedChannelException | CancelledKeyException e) {
      // Closed meanwhile: nothing left to write.
    } catch (IOException e) {
      webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, e.getMessage());
    }
  }

  /**
   * Stops the thread, then writes what is still queued (close frames of a stopping server) and
   * closes those connections; connections still waiting for room are dropped.
   */
  @Override
  public void close() {
    Selector own;
    Thread writerThread;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      own = selector;
      writerThread = thread;
    }
    if (own == null) {
      return;
    }
    own.wakeup();
    try {
      writerThread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    expedited.clear(); // each is in dirty too
    for (MyxiWebSocket webSocket; (webSocket = dirty.poll()) != null; ) {
      write(webSocket, null);
    }
    for (SelectionKey key : List.copyOf(own.keys())) {
      if (key.attachment() instanceof MyxiWebSocket webSocket) {
        webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, "server stopped before the peer read everything");
      }
    }
    try {
      own.close();
    } catch (IOException e) {
      log.debug("Socket writer: closing its selector: {}", e.toString());
    }
  }
}
