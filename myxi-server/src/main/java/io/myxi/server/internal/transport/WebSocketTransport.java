package io.myxi.server.internal.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts Java-WebSocket's server to a {@link ConnectionHandler} (the engine). Its callbacks run on
 * the library's selector and decoder threads: they only check, convert and hand over. Every
 * connection it creates is a {@link MyxiWebSocket}, which is the engine's {@link Connection}.
 */
public final class WebSocketTransport extends WebSocketServer {
  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);
  private static final String ORIGIN_NOT_ALLOWED = "origin not allowed";
  /** How often refused Origins are summed up in one INFO line. */
  static final long ORIGIN_SUMMARY_MILLIS = 60_000;

  private final ConnectionHandler handler;
  private final TransportSettings settings;
  private final ScheduledExecutorService timers;
  private final MyxiWebSocketFactory factory;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile Exception startFailure;
  /**
   * Handshakes refused for their Origin since the last summary, and the last such Origin: a page
   * can make browsers open sockets as fast as they like, so each refusal is not an INFO line.
   */
  private final AtomicLong refusedOrigins = new AtomicLong();
  private volatile String lastRefusedOrigin;

  /** {@code timers} runs the handshake sweep and lingering closes; it is not shut down here. */
  public WebSocketTransport(ConnectionHandler handler, TransportSettings settings, ScheduledExecutorService timers) {
    // The library's default frame limit is unbounded: one header could make it allocate 2 GiB.
    super(settings.address(), decoderThreads(), List.of(new MyxiDraft(settings.maxMessageBytes(), new HttpDate(Clock.systemUTC()))));
    setMaxPendingConnections(settings.acceptBacklog());
    this.handler = handler;
    this.settings = settings;
    this.timers = timers;
    this.factory = new MyxiWebSocketFactory(settings.maxHandshakeBytes(), settings.sslContext(), timers, handler);
    setWebSocketFactory(factory);
    setTcpNoDelay(true);
    setReuseAddr(true);
    setConnectionLostTimeout((int) Math.max(1, settings.connectionLostTimeout().toSeconds()));
  }

  private static int decoderThreads() {
    return Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  /** Starts listening; returns once the port is bound, or throws why it could not be. */
  public void startAndWait(long timeoutMillis) throws Exception {
    start();
    if (!started.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("WebSocket server did not start within " + timeoutMillis + " ms");
    }
    if (startFailure != null) {
      throw startFailure;
    }
    long sweepMillis = Math.max(100, Math.min(1000, settings.handshakeTimeout().toMillis() / 4));
    timers.scheduleWithFixedDelay(this::sweepHandshakes, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    timers.scheduleAtFixedRate(this::logRefusedOrigins, ORIGIN_SUMMARY_MILLIS, ORIGIN_SUMMARY_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Logs at INFO how many handshakes were refused for their Origin since the last call; returns the line, or null if none. */
  public String logRefusedOrigins() {
    long count = refusedOrigins.getAndSet(0);
    if (count == 0) {
      return null;
    }
    String line = "Refused " + count + " WebSocket handshake" + (count == 1 ? "" : "s") + " for their origin since the last summary (last: " + lastRefusedOrigin + ")";
    log.info(line);
    return line;
  }

  /**
   * Closes connections whose handshake did not complete within the deadline (the library never
   * times them out: a client that connects and stays silent would hold its socket forever), and
   * refused ones once their HTTP answer is written (the library leaves those to the client).
   */
  private void sweepHandshakes() {
    long deadline = settings.handshakeTimeout().toNanos();
    for (MyxiWebSocket webSocket : factory.handshaking()) {
      try {
        if (webSocket.isClosed()) {
          factory.handshaking().remove(webSocket);
        } else if (webSocket.isRefusalFlushed()) {
          factory.handshaking().remove(webSocket);
          webSocket.closeConnection(CloseFrame.NEVER_CONNECTED, "handshake refused");
        } else if (webSocket.ageNanos() > deadline) {
          factory.handshaking().remove(webSocket);
          handler.onRefused(ConnectionHandler.Refusal.HANDSHAKE_TIMEOUT);
          log.debug("Closing {}: no WebSocket handshake within {} ms", webSocket.getRemoteSocketAddress(), settings.handshakeTimeout().toMillis());
          webSocket.closeConnection(CloseFrame.NEVER_CONNECTED, "handshake timeout");
        }
      } catch (RuntimeException e) {
        log.warn("Could not close a connection that did not complete its handshake", e);
      }
    }
  }

  @Override
  public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket connection, Draft draft, ClientHandshake request) throws InvalidDataException {
    ServerHandshakeBuilder builder = super.onWebsocketHandshakeReceivedAsServer(connection, draft, request);
    if (!settings.allowedOrigins().isEmpty() || !settings.allowMissingOrigin()) {
      String origin = request.getFieldValue("Origin");
      boolean missing = origin == null || origin.isEmpty();
      boolean allowed = missing ? settings.allowMissingOrigin() : settings.allowedOrigins().isEmpty() || settings.allowedOrigins().contains(origin);
      if (!allowed) {
        handler.onRefused(ConnectionHandler.Refusal.ORIGIN);
        String shown = missing ? "(none)" : printable(origin);
        lastRefusedOrigin = shown;
        refusedOrigins.incrementAndGet();
        log.debug("Refused a WebSocket handshake from {}: origin {} is not allowed", connection.getRemoteSocketAddress(), shown);
        if (!(draft instanceof MyxiDraft myxiDraft)) {
          throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, ORIGIN_NOT_ALLOWED);
        }
        // Throwing would make the library answer 404; the draft answers 403 and onOpen closes.
        myxiDraft.refuse(403, ORIGIN_NOT_ALLOWED);
      }
    }
    return builder;
  }

  /** Origins are client input: keep control characters and huge values out of the log. */
  private static String printable(String text) {
    String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  @Override
  public void onOpen(WebSocket connection, ClientHandshake handshake) {
    MyxiWebSocket webSocket = (MyxiWebSocket) connection;
    if (webSocket.getDraft() instanceof MyxiDraft draft && draft.refusal() != null) {
      // Answered with an HTTP error: no session; close once the answer is written.
      webSocket.flushAndClose(CloseFrame.POLICY_VALIDATION, draft.refusal().reason(), false);
      return;
    }
    factory.handshaking().remove(webSocket);
    InetAddress peer = connection.getRemoteSocketAddress() == null ? InetAddress.getLoopbackAddress() : connection.getRemoteSocketAddress().getAddress();
    handler.onOpen(webSocket, clientAddress(peer, handshake.getFieldValue("X-Forwarded-For")));
    // A peer that hangs up during the handshake is closed by the selector thread while the decoder
    // thread is still opening the connection; the library then sets it OPEN over CLOSED, on a closed
    // channel, after having skipped onClose. Nothing would notice before the lost-connection check.
    if (webSocket.getChannel() == null || !webSocket.getChannel().isOpen()) {
      webSocket.closeConnection(CloseFrame.ABNORMAL_CLOSE, "connection lost during the handshake");
      removeConnection(connection);
      handler.onClose(webSocket, CloseFrame.ABNORMAL_CLOSE, true);
    }
  }

  /** The peer, or, when the peer is a trusted proxy, the nearest untrusted X-Forwarded-For entry. */
  private InetAddress clientAddress(InetAddress peer, String forwardedFor) {
    if (!settings.trustedProxies().contains(peer) || forwardedFor == null || forwardedFor.isBlank()) {
      return peer;
    }
    String[] hops = forwardedFor.split(",");
    InetAddress client = peer;
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      InetAddress address;
      try {
        address = isLiteralAddress(hop) ? InetAddress.getByName(hop) : null;
      } catch (UnknownHostException e) {
        address = null;
      }
      if (address == null) {
        break;
      }
      client = address;
      if (!settings.trustedProxies().contains(address)) {
        break;
      }
    }
    return client;
  }

  /** Only IP literals, so a forged header can never trigger a DNS look-up. */
  private static boolean isLiteralAddress(String text) {
    return !text.isEmpty() && (text.chars().allMatch(c -> Character.isDigit(c) || c == '.') || text.contains(":"));
  }

  @Override
  public void onMessage(WebSocket connection, String message) {
    handler.onMessage((MyxiWebSocket) connection, message);
  }

  @Override
  public void onMessage(WebSocket connection, ByteBuffer message) {
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(message)
          .toString();
      handler.onMessage((MyxiWebSocket) connection, text);
    } catch (CharacterCodingException e) {
      // Not UTF-8: answer as any other text that is not JSON.
      handler.onMessage((MyxiWebSocket) connection, "\u0000");
    }
  }

  @Override
  public void onClose(WebSocket connection, int code, String reason, boolean remote) {
    MyxiWebSocket webSocket = (MyxiWebSocket) connection;
    factory.handshaking().remove(webSocket);
    handler.onClose(webSocket, code, remote);
  }

  @Override
  public void onError(WebSocket connection, Exception error) {
    if (connection == null) {
      startFailure = error;
      started.countDown();
      log.error("WebSocket server error", error);
      return;
    }
    log.debug("WebSocket error on {}: {}", connection.getRemoteSocketAddress(), error.toString());
  }

  @Override
  public void onStart() {
    started.countDown();
  }
}
