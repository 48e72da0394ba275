package io.myxi.service;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener's HTTP/1.1 server: small on purpose. The JDK's {@code HttpServer} reads each
 * request on its executor's threads with no bound on time, so a few sockets that send one byte and
 * stall take all of them (and {@code /health} with them); it has no per-address cap either.
 *
 * <p>Here one thread accepts, refusing past {@code maxConnections} open connections or {@code
 * maxPerAddress} from one address. Each connection is read on a thread of its own (their number
 * is bounded by the cap) under a deadline: a request line, headers or body not complete within
 * {@code requestTimeout} closes the socket. A complete request goes to the {@link Dispatcher} on
 * that same thread, which answers cheap endpoints at once and hands slow ones to a pool of its
 * own. One request per connection ({@code Connection: close}); bodies need a {@code
 * Content-Length}.
 */
final class AdminHttp implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
  /** Request line plus headers, at most. */
  static final int MAX_HEAD_BYTES = 16 * 1024;

  /** One parsed request. Header names are lower case; the first of a repeated header is kept. */
  record Request(String method, String path, Map<String, String> headers, byte[] body, InetAddress peer) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Receives each complete request on its connection's thread; must answer through {@code response}, at once or later. */
  interface Dispatcher {
    void dispatch(Request request, Response response);
  }

  /** The one answer of a connection; a second {@code send} is ignored. */
  interface Response {
    void send(int status, Map<String, String> headers, String contentType, byte[] body);
  }

  /** Limits of the listener. */
  record Limits(Duration requestTimeout, int maxConnections, int maxPerAddress, int maxBodyBytes) {}

  private final ServerSocket listening;
  private final Limits limits;
  private final Dispatcher dispatcher;
  private final ExecutorService connectionThreads;
  private final ScheduledExecutorService deadlines;
  private final Thread acceptor;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final AtomicInteger refused = new AtomicInteger();
  /** Open connections, so that closing the listener closes them too (blocked reads ignore interrupts). */
  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  AdminHttp(InetSocketAddress address, Limits limits, Dispatcher dispatcher) throws IOException {
    this.limits = limits;
    this.dispatcher = dispatcher;
    this.listening = new ServerSocket();
    listening.setReuseAddress(true);
    listening.bind(address, 64);
    AtomicInteger numbers = new AtomicInteger();
    this.connectionThreads = Executors.newCachedThreadPool(runnable -> daemon(runnable, "myxi-admin-conn-" + numbers.incrementAndGet()));
    this.deadlines = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "myxi-admin-deadlines"));
    this.acceptor = daemon(this::acceptLoop, "myxi-admin-accept");
  }

  static Thread daemon(Runnable runnable, String name) {
    Thread thread = new Thread(runnable, name);
    thread.setDaemon(true);
    return thread;
  }

  void start() {
    acceptor.start();
  }

  int port() {
    return listening.getLocalPort();
  }

  /** Connections refused by the caps since start. */
  int refusedConnections() {
    return refused.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listening.close();
    } catch (IOException e) {
      log.debug("Closing the admin listener: {}", e.toString());
    }
    connectionThreads.shutdownNow();
    deadlines.shutdownNow();
    for (Connection connection : live) {
      connection.close();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = listening.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("Admin listener: accept failed: {}", e.toString());
        }
        continue;
      }
      InetAddress peer = socket.getInetAddress();
      int total = open.incrementAndGet();
      int fromPeer = perAddress.merge(peer, 1, Integer::sum);
      if (total > limits.maxConnections() || fromPeer > limits.maxPerAddress()) {
        // Counted in both before checking; released from both, as the connection never existed.
        release(peer);
        refused.incrementAndGet();
        closeQuietly(socket);
        continue;
      }
      try {
        connectionThreads.execute(() -> serve(socket, peer));
      } catch (RuntimeException e) { // Shut down meanwhile.
        release(peer);
        closeQuietly(socket);
      }
    }
  }

  private void release(InetAddress peer) {
    open.decrementAndGet();
    perAddress.computeIfPresent(peer, (address, count) -> count <= 1 ? null : count - 1);
  }

  private void serve(Socket socket, InetAddress peer) {
    Connection connection = new Connection(socket, () -> release(peer));
    live.add(connection);
    if (closed) {
      connection.close();
      return;
    }
    // The deadline closes the socket, which ends any blocked read: a trickle of one byte a
    // second cannot extend it.
    connection.deadline = deadlines.schedule(connection::close, limits.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    Request request;
    try {
      socket.setSoTimeout((int) Math.max(1, limits.requestTimeout().toMillis()));
      request = read(socket, peer, connection);
    } catch (HttpProblem problem) {
      connection.send(problem.status, Map.of(), "application/json", problem.body());
      return;
    } catch (IOException e) {
      connection.close(); // Timed out, reset or closed by the deadline: nothing to answer.
      return;
    }
    if (request == null) {
      connection.close();
      return;
    }
    connection.deadline.cancel(false);
    connection.headRequest = request.method().equals("HEAD");
    try {
      dispatcher.dispatch(request, connection);
    } catch (RuntimeException e) {
      log.error("Admin request {} {}: the dispatcher failed", request.method(), request.path(), e);
      connection.close();
    }
  }

  private Request read(Socket socket, InetAddress peer, Connection connection) throws IOException {
    InputStream in = socket.getInputStream();
    int[] budget = {MAX_HEAD_BYTES};
    String requestLine = readLine(in, budget);
    if (requestLine == null) {
      return null; // Connected and closed without a request.
    }
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || parts[0].isEmpty()) {
      throw new HttpProblem(400, "not an HTTP/1.x request line");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    while (true) {
      String line = readLine(in, budget);
      if (line == null) {
        throw new IOException("closed in the headers");
      }
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new HttpProblem(400, "malformed header line");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (headers.containsKey(name) && (name.equals("host") || name.equals("content-length"))) {
        throw new HttpProblem(400, "repeated " + name + " header");
      }
      headers.putIfAbsent(name, value);
    }
    String path;
    try {
      URI target = new URI(parts[1]);
      path = target.getRawPath();
    } catch (URISyntaxException e) {
      throw new HttpProblem(400, "malformed request target");
    }
    if (path == null || path.isEmpty()) {
      throw new HttpProblem(400, "malformed request target");
    }
    if (headers.containsKey("transfer-encoding")) {
      throw new HttpProblem(411, "send the body with a Content-Length (chunked bodies are not accepted)");
    }
    byte[] body = new byte[0];
    String length = headers.get("content-length");
    if (length != null) {
      long bytes;
      try {
        bytes = Long.parseLong(length);
      } catch (NumberFormatException e) {
        throw new HttpProblem(400, "malformed Content-Length");
      }
      if (bytes < 0) {
        throw new HttpProblem(400, "malformed Content-Length");
      }
      if (bytes > limits.maxBodyBytes()) {
        throw new HttpProblem(413, "the body is larger than " + limits.maxBodyBytes() + " bytes");
      }
      if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
        OutputStream out = socket.getOutputStream();
        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      body = in.readNBytes((int) bytes);
      if (body.length < bytes) {
        throw new IOException("closed in the body");
      }
    }
    return new Request(parts[0], path, Map.copyOf(headers), body, peer);
  }

  /** One CRLF- (or LF-) terminated line, ISO-8859-1; null at the end of the stream before any byte. */
  private static String readLine(InputStream in, int[] budget) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int next = in.read();
      if (next < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new IOException("closed in a line");
      }
      if (--budget[0] < 0) {
        throw new HttpProblem(431, "request line and headers exceed " + MAX_HEAD_BYTES + " bytes");
      }
      if (next == '\n') {
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
      }
      line.write(next);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Nothing to do: the peer is gone either way.
    }
  }

  /** A request that is answered with an error before reaching the dispatcher. */
  private static final class HttpProblem extends IOException {
    final int status;

    HttpProblem(int status, String message) {
      super(message);
      this.status = status;
    }

    byte[] body() {
      String code = switch (status) {
        case 411 -> "LengthRequired";
        case 413 -> AdminServer.Errors.PAYLOAD_TOO_LARGE;
        case 431 -> "HeadersTooLarge";
        default -> "BadRequest";
      };
      return ("{\"error\":\"" + code + "\",\"message\":\"" + getMessage() + "\"}").getBytes(StandardCharsets.UTF_8);
    }
  }

  /** One accepted socket: answers once, closes once, releases its cap slots once. */
  private final class Connection implements Response {
    private final Socket socket;
    private final Runnable release;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final AtomicBoolean closedOnce = new AtomicBoolean();
    volatile ScheduledFuture<?> deadline;
    volatile boolean headRequest;

    Connection(Socket socket, Runnable release) {
      this.socket = socket;
      this.release = release;
    }

    @Override
    public void send(int status, Map<String, String> headers, String contentType, byte[] body) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      // Writing is bounded too: a client that does not read cannot hold the thread.
      ScheduledFuture<?> writeDeadline = closed ? null : scheduleClose();
      try {
        StringBuilder head = new StringBuilder(256);
        head.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        head.append("Content-Type: ").append(contentType).append("\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
        head.append("Connection: close\r\n");
        if (!headers.containsKey("Cache-Control")) {
          head.append("Cache-Control: no-store\r\n");
        }
        head.append("X-Content-Type-Options: nosniff\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!headRequest) {
          out.write(body);
        }
        out.flush();
        socket.shutdownOutput();
      } catch (IOException e) {
        log.debug("Admin listener: the answer could not be written: {}", e.toString());
      } finally {
        if (writeDeadline != null) {
          writeDeadline.cancel(false);
        }
        close();
      }
    }

    private ScheduledFuture<?> scheduleClose() {
      try {
        return deadlines.schedule(this::close, limits.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) {
        return null; // Shutting down.
      }
    }

    void close() {
      if (!closedOnce.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> pending = deadline;
      if (pending != null) {
        pending.cancel(false);
      }
      closeQuietly(socket);
      live.remove(this);
      release.run();
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 202 -> "Accepted";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 411 -> "Length Required";
      case 413 -> "Payload Too Large";
      case 415 -> "Unsupported Media Type";
      case 421 -> "Misdirected Request";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }
}
