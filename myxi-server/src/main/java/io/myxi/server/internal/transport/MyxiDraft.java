package io.myxi.server.internal.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.enums.Role;
import org.java_websocket.exceptions.IncompleteHandshakeException;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ClientHandshakeBuilder;
import org.java_websocket.handshake.HandshakeImpl1Client;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;

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
 *   <li>The handshake response's {@code Date} comes from {@link HttpDate} (formatted once a second)
 *       instead of a {@code SimpleDateFormat} built per handshake; the response is otherwise the
 *       library's.
 *   <li>Outgoing text frames in one buffer ({@link #textFrame}), without the library's per-frame
 *       garbage.
 *   <li>The request is read as the library reads it, without its regular expression per header
 *       line ({@link #translateHandshake}), and the accept key is hashed with a digest kept per
 *       thread: both are costs of every handshake, felt most by a storm of clients reconnecting
 *       to a node that has just started.
 * </ul>
 */
final class MyxiDraft extends Draft_6455 {
  /** RFC 6455, section 1.3: appended to the client's key before hashing. */
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  /**
   * One SHA-1 digest per decoder thread ({@code digest} resets it): looking one up per handshake
   * goes through the security providers and reflection each time.
   */
  private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  });

  private final int maxMessageBytes;
  private final HttpDate httpDate;
  private final AtomicLong queuedBytes = new AtomicLong();
  private long fragmentedBytes; // decoder thread of the connection only
  private volatile Refusal refusal;

  /** An HTTP answer to a refused handshake. */
  record Refusal(int status, String reason) {}

  MyxiDraft(int maxMessageBytes, HttpDate httpDate) {
    super(List.of(), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
    this.httpDate = httpDate;
  }

  @Override
  public Draft copyInstance() {
    return new MyxiDraft(maxMessageBytes, httpDate);
  }

  /**
   * The library's server response, header for header, but for {@code Date}: the library formats it
   * with a new {@code SimpleDateFormat} per handshake (see {@link HttpDate} for the cost).
   */
  @Override
  public HandshakeBuilder postProcessHandshakeResponseAsServer(ClientHandshake request, ServerHandshakeBuilder response)
      throws InvalidHandshakeException {
    response.put("Upgrade", "websocket");
    response.put("Connection", request.getFieldValue("Connection"));
    String key = request.getFieldValue("Sec-WebSocket-Key");
    if (key == null || key.isEmpty()) {
      throw new InvalidHandshakeException("missing Sec-WebSocket-Key");
    }
    response.put("Sec-WebSocket-Accept", acceptKey(key));
    String extension = getExtension().getProvidedExtensionAsServer();
    if (!extension.isEmpty()) {
      response.put("Sec-WebSocket-Extensions", extension);
    }
    if (getProtocol() != null && !getProtocol().getProvidedProtocol().isEmpty()) {
      response.put("Sec-WebSocket-Protocol", getProtocol().getProvidedProtocol());
    }
    response.setHttpStatusMessage("Web Socket Protocol Handshake");
    response.put("Server", "TooTallNate Java-WebSocket");
    response.put("Date", httpDate.now());
    return response;
  }

  /** RFC 6455, section 4.2.2: base64 of the SHA-1 of the client's key and the protocol's GUID. */
  static String acceptKey(String clientKey) {
    byte[] digest = SHA1.get().digest((clientKey.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
    return Base64.getEncoder().encodeToString(digest);
  }

  /**
   * The request line and headers, read for a server as the library's
   * {@code Draft.translateHandshakeHttp} reads them (same lines, same checks, a repeated header's
   * values joined with "; ", a value's leading spaces dropped, the buffer left at the same place),
   * but without its {@code replaceFirst("^ +", "")}, which compiles a regular expression for every
   * header line. The refusals name no client text.
   */
  @Override
  public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
    if (getRole() != Role.SERVER) {
      return super.translateHandshake(buf);
    }
    String line = readStringLine(buf);
    if (line == null) {
      throw new IncompleteHandshakeException(buf.capacity() + 128);
    }
    String[] requestLine = line.split(" ", 3);
    if (requestLine.length != 3) {
      throw new InvalidHandshakeException("not an HTTP request line");
    }
    if (!"GET".equalsIgnoreCase(requestLine[0])) {
      throw new InvalidHandshakeException("request method is not GET");
    }
    if (!"HTTP/1.1".equalsIgnoreCase(requestLine[2])) {
      throw new InvalidHandshakeException("request is not HTTP/1.1");
    }
    ClientHandshakeBuilder request = new HandshakeImpl1Client();
    request.setResourceDescriptor(requestLine[1]);
    line = readStringLine(buf);
    while (line != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new InvalidHandshakeException("not an http header");
      }
      String name = line.substring(0, colon);
      int valueStart = colon + 1;
      while (valueStart < line.length() && line.charAt(valueStart) == ' ') {
        valueStart++;
      }
      String value = line.substring(valueStart);
      request.put(name, request.hasFieldValue(name) ? request.getFieldValue(name) + "; " + value : value);
      line = readStringLine(buf);
    }
    if (line == null) {
      throw new IncompleteHandshakeException();
    }
    return request;
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

  /**
   * The server's text frame for {@code utf8} (final, unmasked, no extension), counted as queued: the
   * bytes {@link #createBinaryFrame} gives for a {@code TextFrame} of that payload. Made here because
   * the library's path costs, for every frame, a frame object, a list, an iterator and a copy, and
   * its {@code WebSocketImpl.write} decodes the whole frame into a {@code String} for a trace
   * message whether or not tracing is on: in S2 (one event per recipient) that was a sixth of all
   * the node allocated.
   */
  ByteBuffer textFrame(byte[] utf8) {
    int length = utf8.length;
    int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
    byte[] frame = new byte[header + length];
    frame[0] = (byte) 0x81; // FIN, opcode 1 (text); no RSV bit: no extension is negotiated
    if (header == 2) {
      frame[1] = (byte) length;
    } else if (header == 4) {
      frame[1] = 126;
      frame[2] = (byte) (length >>> 8);
      frame[3] = (byte) length;
    } else {
      frame[1] = 127;
      for (int i = 0; i < 8; i++) {
        frame[2 + i] = (byte) ((long) length >>> (8 * (7 - i)));
      }
    }
    System.arraycopy(utf8, 0, frame, header, length);
    queuedBytes.addAndGet(frame.length);
    return ByteBuffer.wrap(frame);
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
