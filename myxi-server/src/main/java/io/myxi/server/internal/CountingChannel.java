package io.myxi.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import org.java_websocket.WrappedByteChannel;

/**
 * The socket channel (or the TLS channel over it) of one connection, counting the bytes it takes
 * for the peer, so {@link MyxiWebSocket#bufferedBytes()} is exact without walking the queue.
 */
final class CountingChannel implements WrappedByteChannel {
  private final SocketChannel socket;
  private final ByteChannel channel;
  private final WrappedByteChannel wrapped;
  private final MyxiWebSocket webSocket;
  private final LingeringClose lingeringClose;
  private volatile boolean lingerOnClose;
  private volatile boolean closed;

  CountingChannel(SocketChannel socket, ByteChannel channel, MyxiWebSocket webSocket, LingeringClose lingeringClose) {
    this.socket = socket;
    this.lingeringClose = lingeringClose;
    this.channel = channel;
    this.wrapped = channel instanceof WrappedByteChannel w ? w : null;
    this.webSocket = webSocket;
  }

  @Override
  public int write(ByteBuffer source) throws IOException {
    int written = channel.write(source);
    webSocket.countWritten(written);
    return written;
  }

  @Override
  public int read(ByteBuffer destination) throws IOException {
    return channel.read(destination);
  }

  /**
   * Makes {@link #close()} half-close and drain instead of closing at once (see {@link
   * LingeringClose}). Only for plain sockets: a TLS connection closes with its own close_notify.
   */
  void lingerOnClose() {
    lingerOnClose = lingeringClose != null && channel == socket;
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
