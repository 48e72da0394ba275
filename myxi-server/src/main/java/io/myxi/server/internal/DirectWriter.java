package io.myxi.server.internal;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes outgoing frames of plain (non-TLS) connections straight to the socket, on the thread that
 * sends them, instead of handing each one to Java-WebSocket's selector thread.
 *
 * <p>Why: for every frame the library sets write interest and wakes its selector, and its selector
 * loop never removes a key it selected only for writing from the selected-key set. Every key that
 * was ever written to therefore stays there, and every wake-up walks all of them, each with a
 * needless write attempt and interest change: with 5,000 connections one event for one session
 * cost the node ~200 µs of CPU (found with JFR under the S2 benchmark). Writing directly also
 * saves the wake-up and the interest changes for the common case of a socket with room.
 *
 * <p>A socket that does not take everything (a slow reader) is watched by this writer's own
 * selector thread, which writes the rest when the socket has room again. Closing a connection
 * after its last frame ({@code flushAndClose}) is also done on that thread, because the threads
 * that write may hold the library's write lock, and closing takes the connection's monitor.
 *
 * <p>Thread-safe: {@link #onWriteDemand} is called by any thread that sends.
 */
final class DirectWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectWriter.class);

  private final Queue<MyxiWebSocket> toWatch = new ConcurrentLinkedQueue<>();
  private final Queue<MyxiWebSocket> toClose = new ConcurrentLinkedQueue<>();
  /** Made on first need: most servers never meet a socket without room. Guarded by this. */
  private Selector selector;
  private Thread thread;
  private volatile boolean closed;

  /** The writer thread's selector, started on first use; null once closed. */
  private synchronized Selector selector() {
    if (selector == null && !closed) {
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

  private void wakeUp() {
    Selector own = selector();
    if (own != null) {
      own.wakeup();
    }
  }

  /**
   * Called after the library queued bytes for {@code webSocket}. Returns false when this writer
   * does not handle the connection (TLS): the library's own path must be taken.
   */
  boolean onWriteDemand(MyxiWebSocket webSocket) {
    if (!(webSocket.getChannel() instanceof CountingChannel channel) || !channel.isPlain()) {
      return false;
    }
    if (closed) {
      // The server has stopped: nothing is written any more, and the socket must not stay open.
      webSocket.outQueue.clear();
      try {
        channel.socket().close();
      } catch (IOException e) {
        log.debug("Socket writer: closing a socket after stop: {}", e.toString());
      }
      return true;
    }
    try {
      if (channel.flush(webSocket.outQueue)) {
        if (webSocket.isFlushAndClose()) {
          toClose.add(webSocket);
          wakeUp();
        }
      } else if (channel.startWatching()) {
        toWatch.add(webSocket);
        wakeUp();
      }
    } catch (IOException e) {
      // The peer is gone; the connection is closed on the writer thread, as the library would.
      webSocket.markWriteFailed(e);
      toClose.add(webSocket);
      wakeUp();
    }
    return true;
  }

  private void run(Selector selector) {
    while (!closed) {
      try {
        selector.select();
        writeWhereThereIsRoom(selector);
        watchNew(selector);
        closeRequested();
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.warn("Socket writer: {}", e.toString(), e);
        }
      }
    }
  }

  private void writeWhereThereIsRoom(Selector selector) {
    for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
      SelectionKey key = keys.next();
      keys.remove();
      MyxiWebSocket webSocket = (MyxiWebSocket) key.attachment();
      try {
        if (!key.isValid() || !(webSocket.getChannel() instanceof CountingChannel channel)) {
          continue;
        }
        // Cleared before writing: a sender that finds the socket full meanwhile watches it again.
        channel.stopWatching();
        if (channel.flush(webSocket.outQueue)) {
          key.interestOps(0);
          if (webSocket.isFlushAndClose()) {
            webSocket.closeConnection();
          }
        } else {
          channel.startWatching();
        }
      } catch (IOException e) {
        key.cancel();
        webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, e.getMessage());
      } catch (CancelledKeyException e) {
        // Closed meanwhile.
      }
    }
  }

  private void watchNew(Selector selector) {
    for (MyxiWebSocket webSocket; (webSocket = toWatch.poll()) != null; ) {
      if (!(webSocket.getChannel() instanceof CountingChannel channel) || !channel.socket().isOpen()) {
        continue;
      }
      try {
        SelectionKey key = channel.socket().keyFor(selector);
        if (key == null) {
          channel.socket().register(selector, SelectionKey.OP_WRITE, webSocket);
        } else {
          key.interestOps(SelectionKey.OP_WRITE);
        }
      } catch (ClosedChannelException | CancelledKeyException e) {
        // Closed meanwhile: nothing left to write.
      }
    }
  }

  private void closeRequested() {
    for (MyxiWebSocket webSocket; (webSocket = toClose.poll()) != null; ) {
      closeNow(webSocket);
    }
  }

  private static void closeNow(MyxiWebSocket webSocket) {
    IOException failure = webSocket.writeFailure();
    if (failure != null) {
      webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, failure.getMessage());
    } else if (webSocket.isFlushAndClose()) {
      webSocket.closeConnection();
    }
  }

  /**
   * Stops the thread. Connections waiting to be closed are closed now, and connections still
   * waiting for room are dropped: the server is stopping.
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
      closeRequested();
      return;
    }
    own.wakeup();
    try {
      writerThread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeRequested();
    for (SelectionKey key : own.keys()) {
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
