package io.myxi.server.internal.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;

/**
 * RFC 6455 as Java-WebSocket implements it, with what a public server needs on top. One instance
 * per connection ({@link #copyInstance}).
 *
 * <ul>
 *   <li>Message size: the library checks each frame against the limit before allocating it, but
 *       adds the continuation frames of a fragmented message without checking their total until the
 *       last one: endless fragments would grow the heap. Here the total is checked on every
 *       fragment.
 *   <li>Refusals with a real HTTP status: the library answers a refused handshake with 404; a
 *       refused Origin must be a 403.
 *   <li>Accounting of the bytes queued for the peer (handshake response and every frame), which
 *       with {@link CountingChannel}'s bytes written gives a session's exact backlog.
 *   <li>No extension: permessage-deflate is never negotiated, so no message is inflated.
 * </ul>
 */
final class MyxiDraft extends Draft_6455 {
  private final int maxMessageBytes;
  private final AtomicLong queuedBytes = new AtomicLong();
  private long fragmentedBytes; // decoder thread of the connection only
  private volatile Refusal refusal;

  /** An HTTP answer to a refused handshake. */
  record Refusal(int status, String reason) {}

  MyxiDraft(int maxMessageBytes) {
    super(List.of(), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public Draft copyInstance() {
    return new MyxiDraft(maxMessageBytes);
  }

  /** Answer this connection's handshake with {@code status} instead of 101. */
  void refuse(int status, String reason) {
    refusal = new Refusal(status, reason);
  }

  Refusal refusal() {
    return refusal;
  }

  long queuedBytes() {
    return queuedBytes.get();
  }

  @Override
  public List<ByteBuffer> createHandshake(Handshakedata handshakedata, boolean withContent) {
    Refusal refused = refusal;
    List<ByteBuffer> response;
    if (refused != null && handshakedata instanceof ServerHandshake) {
      String body = refused.reason() + "\n";
      String http = "HTTP/1.1 " + refused.status() + " " + reasonPhrase(refused.status()) + "\r\n"
          + "Content-Type: text/plain; charset=utf-8\r\n"
          + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
          + "Connection: close\r\n"
          + "\r\n"
          + body;
      response = List.of(ByteBuffer.wrap(http.getBytes(StandardCharsets.UTF_8)));
    } else {
      response = super.createHandshake(handshakedata, withContent);
    }
    for (ByteBuffer buffer : response) {
      queuedBytes.addAndGet(buffer.remaining());
    }
    return response;
  }

  static String reasonPhrase(int status) {
    return switch (status) {
      case 403 -> "Forbidden";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }

  @Override
  public ByteBuffer createBinaryFrame(Framedata framedata) {
    ByteBuffer frame = super.createBinaryFrame(framedata);
    queuedBytes.addAndGet(frame.remaining());
    return frame;
  }

  @Override
  public void processFrame(WebSocketImpl webSocket, Framedata frame) throws InvalidDataException {
    Opcode opcode = frame.getOpcode();
    if (opcode == Opcode.TEXT || opcode == Opcode.BINARY) {
      fragmentedBytes = frame.isFin() ? 0 : frame.getPayloadData().remaining();
    } else if (opcode == Opcode.CONTINUOUS) {
      fragmentedBytes += frame.getPayloadData().remaining();
      if (fragmentedBytes > maxMessageBytes) {
        fragmentedBytes = 0;
        throw new LimitExceededException("fragmented message larger than " + maxMessageBytes + " bytes", maxMessageBytes);
      }
      if (frame.isFin()) {
        fragmentedBytes = 0;
      }
    }
    super.processFrame(webSocket, frame);
  }

  @Override
  public void reset() {
    super.reset();
    fragmentedBytes = 0;
  }
}
