package io.myxi.server.internal.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocketListener;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.framing.CloseFrame;

/**
 * One server connection, with the bounds the library leaves out: the size of the opening handshake
 * (the library buffers an endless one), the time it may take (the library times out only open
 * connections), and an exact count of the bytes waiting to be sent to the peer.
 */
final class MyxiWebSocket extends WebSocketImpl implements Connection {
  private final int maxHandshakeBytes;
  private final ConnectionHandler handler;
  /** Writes plain connections (null: the library writes them); replies are expedited there. */
  private final SocketWriter writer;
  private final long createdNanos = System.nanoTime();
  /** Bytes the socket took for the peer, counted by its {@link CountingChannel}. */
  private final AtomicLong writtenBytes = new AtomicLong();
  private long handshakeBytes; // decoder thread of the connection only
  private volatile boolean refusedBeforeHandshake;

  MyxiWebSocket(WebSocketListener listener, List<Draft> drafts, int maxHandshakeBytes, ConnectionHandler handler,
      SocketWriter writer) {
    super(listener, drafts);
    this.writer = writer;
    this.maxHandshakeBytes = maxHandshakeBytes;
    this.handler = handler;
  }

  /**
   * Queues the frame as the library's {@code sendFrame} does (the out-queue, then the listener's
   * write demand), without its per-frame garbage ({@link MyxiDraft#textFrame}). One buffer per
   * frame, added whole: the queue keeps the order of each sender's frames, as the library's lock
   * does for its multi-frame sends.
   */
  @Override
  public boolean sendText(byte[] utf8) {
    if (!queueText(utf8)) {
      return false;
    }
    getWebSocketListener().onWriteDemand(this);
    return true;
  }

  @Override
  public boolean sendTextNow(byte[] utf8) {
    if (!queueText(utf8)) {
      return false;
    }
    if (writer == null || !writer.writeNow(this)) {
      getWebSocketListener().onWriteDemand(this);
    }
    return true;
  }

  private boolean queueText(byte[] utf8) {
    // Not open (no draft before the handshake): the library would refuse too; onClose cleans up.
    if (!isOpen() || !(getDraft() instanceof MyxiDraft draft)) {
      return false;
    }
    outQueue.add(draft.textFrame(utf8));
    return true;
  }

  @Override
  public boolean sendReply(byte[] utf8) {
    if (!sendText(utf8)) {
      return false;
    }
    if (writer != null) {
      writer.expedite(this);
    }
    return true;
  }

  @Override
  public void abort(int code, String reason) {
    closeConnection(code, reason);
  }

  @Override
  public void attach(Object attachment) {
    setAttachment(attachment);
  }

  @Override
  public Object attachment() {
    return getAttachment();
  }

  @Override
  public void decode(ByteBuffer socketBuffer) {
    if (getReadyState() == ReadyState.NOT_YET_CONNECTED) {
      handshakeBytes += socketBuffer.remaining();
      if (handshakeBytes > maxHandshakeBytes || refusedBeforeHandshake) {
        socketBuffer.position(socketBuffer.limit());
        refuseBeforeHandshake(431, "handshake larger than " + maxHandshakeBytes + " bytes");
        return;
      }
    }
    super.decode(socketBuffer);
  }

  /**
   * Answers an HTTP error and closes, before any handshake was accepted. The library closes such a
   * connection only when the peer does; {@link WebSocketTransport}'s sweep closes it once the answer
   * is written.
   */
  private void refuseBeforeHandshake(int status, String reason) {
    if (refusedBeforeHandshake) {
      return;
    }
    refusedBeforeHandshake = true;
    handler.onRefused(ConnectionHandler.Refusal.HANDSHAKE_TOO_LARGE);
    String body = reason + "\n";
    String http = "HTTP/1.1 " + status + " " + MyxiDraft.reasonPhrase(status) + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
        + "Connection: close\r\n"
        + "\r\n"
        + body;
    outQueue.add(ByteBuffer.wrap(http.getBytes(StandardCharsets.UTF_8)));
    flushAndClose(CloseFrame.TOOBIG, reason, false);
  }

  @Override
  public synchronized void closeConnection(int code, String message, boolean remote) {
    // 1006 is how this server drops peers on purpose (lost, too slow): those go at once.
    if (!remote && code != CloseFrame.ABNORMAL_CLOSE && getChannel() instanceof CountingChannel channel) {
      channel.lingerOnClose();
    }
    super.closeConnection(code, message, remote);
  }

  @Override
  public long bufferedBytes() {
    long queued = getDraft() instanceof MyxiDraft draft ? draft.queuedBytes() : 0;
    return Math.max(0, queued - writtenBytes.get());
  }

  /** The counter its channel adds the bytes written to. */
  AtomicLong writtenBytes() {
    return writtenBytes;
  }

  long ageNanos() {
    return System.nanoTime() - createdNanos;
  }

  /** Refused or failed before the handshake completed, and its answer is written. */
  boolean isRefusalFlushed() {
    return getReadyState() != ReadyState.OPEN && isFlushAndClose() && outQueue.isEmpty()
        && !(getChannel() instanceof CountingChannel channel && channel.hasUnsent());
  }
}
