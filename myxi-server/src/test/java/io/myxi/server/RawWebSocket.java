package io.myxi.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written by hand on a plain socket, for what well-behaved clients cannot do:
 * lie about frame lengths, never read, never answer pings, send endless fragments or headers.
 */
public final class RawWebSocket implements AutoCloseable {
  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CONTINUATION = 0;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private int status;
  private final Map<String, String> responseHeaders = new LinkedHashMap<>();
  private String responseBody = "";

  /** A frame from the server. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
  }

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Opens a TCP connection without any handshake. {@code receiveBuffer} 0 keeps the default. */
  public static RawWebSocket open(int port, int receiveBuffer) throws IOException {
    Socket socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    socket.setSoTimeout(30_000);
    return new RawWebSocket(socket);
  }

  /** Connects and completes (or attempts) the opening handshake; see {@link #status()}. */
  public static RawWebSocket connect(int port, Map<String, String> extraHeaders) throws IOException {
    return connect(port, extraHeaders, 0);
  }

  public static RawWebSocket connect(int port, Map<String, String> extraHeaders, int receiveBuffer) throws IOException {
    RawWebSocket webSocket = open(port, receiveBuffer);
    webSocket.handshake(port, extraHeaders);
    return webSocket;
  }

  public void handshake(int port, Map<String, String> extraHeaders) throws IOException {
    StringBuilder request = new StringBuilder()
        .append("GET / HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n")
        .append("Upgrade: websocket\r\n")
        .append("Connection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    extraHeaders.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    request.append("\r\n");
    out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    readResponse();
  }

  /** Reads the HTTP response: status line, headers and, when it has a length, the body. */
  public void readResponse() throws IOException {
    String statusLine = readLine();
    String[] parts = statusLine.split(" ", 3);
    status = Integer.parseInt(parts[1]);
    String line;
    while (!(line = readLine()).isEmpty()) {
      int colon = line.indexOf(':');
      responseHeaders.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    String length = responseHeaders.get("content-length");
    if (length != null) {
      byte[] body = new DataInputStream(in).readNBytes(Integer.parseInt(length));
      responseBody = new String(body, StandardCharsets.UTF_8);
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int next = in.read();
      if (next < 0) {
        throw new EOFException("connection closed during the HTTP response: " + line);
      }
      if (previous == '\r' && next == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
      }
      line.write(next);
      previous = next;
    }
  }

  public int status() {
    return status;
  }

  public String header(String name) {
    return responseHeaders.get(name.toLowerCase(Locale.ROOT));
  }

  public String body() {
    return responseBody;
  }

  /** Sends a complete masked frame. */
  public void send(int opcode, boolean fin, byte[] payload) throws IOException {
    out.write(frameHeader(opcode, fin, payload.length));
    byte[] masked = payload.clone();
    // A zero mask leaves the payload as is: allowed, and keeps the test simple.
    out.write(masked);
    out.flush();
  }

  public void sendText(String text) throws IOException {
    send(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends only a frame header (with a zero mask key) declaring {@code length} payload bytes. */
  public void sendHeaderOnly(int opcode, boolean fin, long length) throws IOException {
    out.write(frameHeader(opcode, fin, length));
    out.flush();
  }

  /** Sends raw bytes as they are. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  public static byte[] frameHeader(int opcode, boolean fin, long length) {
    ByteBuffer header = ByteBuffer.allocate(14);
    header.put((byte) ((fin ? 0x80 : 0) | opcode));
    // Unsigned: a test may declare 2^63, which is negative as a long.
    if (Long.compareUnsigned(length, 125) <= 0) {
      header.put((byte) (0x80 | length));
    } else if (Long.compareUnsigned(length, 0xFFFF) <= 0) {
      header.put((byte) (0x80 | 126));
      header.putShort((short) length);
    } else {
      header.put((byte) (0x80 | 127));
      header.putLong(length);
    }
    header.putInt(0); // mask key
    byte[] bytes = new byte[header.position()];
    header.flip().get(bytes);
    return bytes;
  }

  /** The next frame from the server; answers pings unless told not to. */
  public Frame readFrame() throws IOException {
    DataInputStream data = new DataInputStream(in);
    int first = data.readUnsignedByte();
    int second = data.readUnsignedByte();
    long length = second & 0x7f;
    if (length == 126) {
      length = data.readUnsignedShort();
    } else if (length == 127) {
      length = data.readLong();
    }
    if ((second & 0x80) != 0) {
      data.readInt(); // Servers do not mask, but skip a mask key if one came.
    }
    byte[] payload = data.readNBytes((int) length);
    return new Frame(first & 0x0f, (first & 0x80) != 0, payload);
  }

  /** The next text frame, skipping pings. */
  public String readText() throws IOException {
    while (true) {
      Frame frame = readFrame();
      if (frame.opcode() == TEXT) {
        return frame.text();
      }
      if (frame.opcode() == CLOSE) {
        throw new EOFException("closed by the server with " + frame.closeCode());
      }
    }
  }

  /**
   * Reads until the server's close frame and returns its code; -1 when the connection ended
   * without one. Fails after {@code timeout}.
   */
  public int awaitClose(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      while (true) {
        Frame frame = readFrame();
        if (frame.opcode() == CLOSE) {
          return frame.closeCode();
        }
      }
    } catch (EOFException | java.net.SocketException e) {
      return -1;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no close within " + timeout.toMillis() + " ms", e);
    }
  }

  /** Whether the server closed the TCP connection within {@code timeout} (reading what comes). */
  public boolean awaitEndOfStream(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    byte[] sink = new byte[8192];
    try {
      while (in.read(sink) >= 0) {
        // Discard.
      }
      return true;
    } catch (java.net.SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  public static byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closed already.
    }
  }
}
