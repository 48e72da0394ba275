package io.myxi.server.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.java_websocket.WrappedByteChannel;

/**
 * The socket channel (or the TLS channel over it) of one connection, counting the bytes it takes
 * for the peer into the connection's counter, so {@link MyxiWebSocket#bufferedBytes()} is exact
 * without walking the queue. Knows only the counter, not the connection.
 *
 * <p>For plain sockets it also holds the frames the socket did not take yet (see {@link
 * SocketWriter}): {@link #flush} moves the library's queue into its own and writes, under one lock,
 * so frames keep their order whichever thread writes ({@link #tryFlush} for a sender writing its
 * own frame).
 */
final class CountingChannel implements WrappedByteChannel {
  private static final int MAX_GATHERED = 16;
  private final SocketChannel socket;
  private final ByteChannel channel;
  private final WrappedByteChannel wrapped;
  private final AtomicLong writtenBytes;
  private final LingeringClose lingeringClose;
  private volatile boolean lingerOnClose;
  private volatile boolean closed;
  /** Held while frames move to {@link #unsent} and are written: one writer at a time per socket. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicBoolean dirty = new AtomicBoolean();
  /** Frames taken from the library's queue and not fully written; guarded by writeLock. */
  private final ArrayDeque<ByteBuffer> unsent = new ArrayDeque<>();
  private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHERED];

  CountingChannel(SocketChannel socket, ByteChannel channel, AtomicLong writtenBytes, LingeringClose lingeringClose) {
    this.socket = socket;
    this.lingeringClose = lingeringClose;
    this.channel = channel;
    this.wrapped = channel instanceof WrappedByteChannel w ? w : null;
    this.writtenBytes = writtenBytes;
  }

  @Override
  public int write(ByteBuffer source) throws IOException {
    int written = channel.write(source);
    countWritten(written);
    return written;
  }

  private void countWritten(long bytes) {
    if (bytes > 0) {
      writtenBytes.addAndGet(bytes);
    }
  }

  @Override
  public int read(ByteBuffer destination) throws IOException {
    return channel.read(destination);
  }

  /** True when frames can be written straight to the socket: no TLS layer in between. */
  boolean isPlain() {
    return channel == socket;
  }

  SocketChannel socket() {
    return socket;
  }

  /**
   * Takes everything from {@code libraryQueue} and writes as much as the socket accepts without
   * blocking. Returns true when nothing is left unsent. Plain sockets only.
   */
  boolean flush(Queue<ByteBuffer> libraryQueue) throws IOException {
    writeLock.lock();
    try {
      return flushLocked(libraryQueue);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * As {@link #flush}, but only if no other thread is writing this socket and no earlier frame is
   * waiting for room in it; never waits. True when everything was written; false when something is
   * left for the writer thread (the socket was busy or full, or filled up now).
   */
  boolean tryFlush(Queue<ByteBuffer> libraryQueue) throws IOException {
    if (!writeLock.tryLock()) {
      return false;
    }
    try {
      return unsent.isEmpty() && flushLocked(libraryQueue);
    } finally {
      writeLock.unlock();
    }
  }

  private boolean flushLocked(Queue<ByteBuffer> libraryQueue) throws IOException {
    for (ByteBuffer buffer; (buffer = libraryQueue.poll()) != null; ) {
      unsent.add(buffer);
    }
    while (!unsent.isEmpty()) {
      int count = 0;
      for (ByteBuffer buffer : unsent) {
        gather[count++] = buffer;
        if (count == MAX_GATHERED) {
          break;
        }
      }
      long written = count == 1 ? socket.write(gather[0]) : socket.write(gather, 0, count);
      countWritten(written);
      while (!unsent.isEmpty() && !unsent.peek().hasRemaining()) {
        unsent.poll();
      }
      Arrays.fill(gather, 0, count, null);
      if (written == 0 || !unsent.isEmpty() && count < MAX_GATHERED) {
        return unsent.isEmpty();
      }
    }
    return true;
  }

  /** Marks the connection as having frames to write; true if it was not marked yet. */
  boolean markDirty() {
    return dirty.compareAndSet(false, true);
  }

  void clearDirty() {
    dirty.set(false);
  }

  /** Frames taken for writing and not fully written yet. */
  boolean hasUnsent() {
    writeLock.lock();
    try {
      return !unsent.isEmpty();
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Makes {@link #close()} half-close and drain instead of closing at once (see {@link
   * LingeringClose}). Only for plain sockets: a TLS connection closes with its own close_notify.
   */
  void lingerOnClose() {
    lingerOnClose = isPlain();
  }

  @Override
  public boolean isOpen() {
    return !closed && channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    if (lingerOnClose) {
      lingeringClose.close(socket);
    } else {
      channel.close();
    }
  }

  @Override
  public boolean isNeedWrite() {
    return wrapped != null && wrapped.isNeedWrite();
  }

  @Override
  public void writeMore() throws IOException {
    if (wrapped != null) {
      wrapped.writeMore();
    }
  }

  @Override
  public boolean isNeedRead() {
    return wrapped != null && wrapped.isNeedRead();
  }

  @Override
  public int readMore(ByteBuffer destination) throws IOException {
    return wrapped != null ? wrapped.readMore(destination) : 0;
  }

  @Override
  public boolean isBlocking() {
    if (wrapped != null) {
      return wrapped.isBlocking();
    }
    return channel instanceof SelectableChannel selectable && selectable.isBlocking();
  }
}
