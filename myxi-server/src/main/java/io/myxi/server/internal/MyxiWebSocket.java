package io.myxi.server.internal;

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
final class MyxiWebSocket extends WebSocketImpl {
  private final int maxHandshakeBytes;
  private final long createdNanos = System.nanoTime();
  private final AtomicLong writtenBytes = new AtomicLong();
  private long handshakeBytes; // decoder thread of the connection only
  private volatile boolean refusedBeforeHandshake;

  MyxiWebSocket(WebSocketListener listener, List<Draft> drafts, int maxHandshakeBytes) {
    super(listener, drafts);
    this.maxHandshakeBytes = maxHandshakeBytes;
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

  /** Bytes queued for the peer (handshake response and frames) that the socket has not taken yet. */
  long bufferedBytes() {
    long queued = getDraft() instanceof MyxiDraft draft ? draft.queuedBytes() : 0;
    return Math.max(0, queued - writtenBytes.get());
  }

  void countWritten(long bytes) {
    if (bytes > 0) {
      writtenBytes.addAndGet(bytes);
    }
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
