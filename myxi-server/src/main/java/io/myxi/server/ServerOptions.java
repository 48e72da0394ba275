package io.myxi.server;

import io.myxi.server.internal.ServerSettings;
import io.myxi.server.internal.transport.TransportSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * What a {@link MyxiServer.Builder} was given, at the defaults until then. Each setter checks its
 * value and throws {@link IllegalArgumentException} (or {@link NullPointerException}) as the
 * builder documents; the builder's methods are the public face (names and javadoc) and delegate
 * here. {@link #serverSettings()} and {@link #transportSettings()} hand the values to the engine
 * and the listener.
 */
final class ServerOptions {
  private int port = MyxiServer.DEFAULT_PORT;
  private String bindAddress;
  private NodeListener listener = NodeListener.NONE;
  private Duration reauthorizeInterval = Duration.ofSeconds(60);
  private Duration connectionLostTimeout = Duration.ofSeconds(60);
  private Duration shutdownWindow = Duration.ofSeconds(5);
  private Duration bindTimeout = Duration.ofSeconds(10);
  private int maxMessageBytes = 64 * 1024;
  private long maxBufferedBytes = 1024 * 1024;
  private long historyWindowBytes = 64L * 1024 * 1024;
  private int maxSubscriptionsPerSession = 1000;
  private int maxConnections = MyxiServer.DEFAULT_MAX_CONNECTIONS;
  private int maxConnectionsPerAddress;
  private int maxBindings = MyxiServer.DEFAULT_MAX_BINDINGS;
  private double actionsPerSecond = 50;
  private int actionBurst = 200;
  private double bindsPerSecond = 50;
  private int bindBurst = 200;
  private Duration authenticationTimeout = Duration.ZERO;
  private Duration handshakeTimeout = Duration.ofSeconds(10);
  private int maxHandshakeBytes = 32 * 1024;
  private int acceptBacklog = 4096;
  private final Set<String> allowedOrigins = new LinkedHashSet<>();
  private boolean allowMissingOrigin = true;
  private final Set<InetAddress> trustedProxies = new LinkedHashSet<>();
  private int workerThreads = 16;
  private SSLContext sslContext;

  void port(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in 0..65535: " + port);
    }
    this.port = port;
  }

  void bindAddress(String address) {
    this.bindAddress = Objects.requireNonNull(address, "address == null");
  }

  void listener(NodeListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener == null");
  }

  void reauthorizeInterval(Duration interval) {
    this.reauthorizeInterval = notNegative(interval, "reauthorizeInterval");
  }

  void connectionLostTimeout(Duration timeout) {
    this.connectionLostTimeout = positive(timeout, "connectionLostTimeout");
  }

  void shutdownWindow(Duration window) {
    this.shutdownWindow = notNegative(window, "shutdownWindow");
  }

  void bindTimeout(Duration timeout) {
    this.bindTimeout = positive(timeout, "bindTimeout");
  }

  void maxMessageBytes(int bytes) {
    this.maxMessageBytes = atLeast(bytes, 256, "maxMessageBytes");
  }

  void maxBufferedBytes(long bytes) {
    this.maxBufferedBytes = atLeast(bytes, 1024, "maxBufferedBytes");
  }

  void historyWindowBytes(long bytes) {
    this.historyWindowBytes = atLeast(bytes, 0, "historyWindowBytes");
  }

  void maxSubscriptionsPerSession(int count) {
    this.maxSubscriptionsPerSession = atLeast(count, 1, "maxSubscriptionsPerSession");
  }

  void maxConnections(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("maxConnections must not be negative: " + count);
    }
    this.maxConnections = count;
  }

  void maxConnectionsPerAddress(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("maxConnectionsPerAddress must not be negative: " + count);
    }
    this.maxConnectionsPerAddress = count;
  }

  void maxBindings(int count) {
    this.maxBindings = atLeast(count, 1, "maxBindings");
  }

  void actionRateLimit(double perSecond, int burst) {
    if (perSecond < 0 || burst < 1) {
      throw new IllegalArgumentException("actionRateLimit needs perSecond >= 0 and burst >= 1: " + perSecond + ", " + burst);
    }
    this.actionsPerSecond = perSecond;
    this.actionBurst = burst;
  }

  void bindRateLimit(double perSecond, int burst) {
    if (perSecond < 0 || burst < 1) {
      throw new IllegalArgumentException("bindRateLimit needs perSecond >= 0 and burst >= 1: " + perSecond + ", " + burst);
    }
    this.bindsPerSecond = perSecond;
    this.bindBurst = burst;
  }

  void authenticationTimeout(Duration timeout) {
    this.authenticationTimeout = notNegative(timeout, "authenticationTimeout");
  }

  void handshakeTimeout(Duration timeout) {
    this.handshakeTimeout = positive(timeout, "handshakeTimeout");
  }

  void maxHandshakeBytes(int bytes) {
    this.maxHandshakeBytes = atLeast(bytes, 1024, "maxHandshakeBytes");
  }

  void acceptBacklog(int connections) {
    this.acceptBacklog = atLeast(connections, 1, "acceptBacklog");
  }

  void allowedOrigins(String... origins) {
    for (String origin : origins) {
      allowedOrigins.add(Objects.requireNonNull(origin, "origin == null"));
    }
  }

  void allowMissingOrigin(boolean allow) {
    this.allowMissingOrigin = allow;
  }

  void trustedProxies(String... addresses) {
    for (String address : addresses) {
      try {
        trustedProxies.add(InetAddress.getByName(Objects.requireNonNull(address, "address == null")));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("trusted proxy is not an address: " + address, e);
      }
    }
  }

  void workerThreads(int threads) {
    this.workerThreads = atLeast(threads, 1, "workerThreads");
  }

  void sslContext(SSLContext context) {
    this.sslContext = Objects.requireNonNull(context, "context == null");
  }

  private static int atLeast(int value, int minimum, String name) {
    return (int) atLeast((long) value, minimum, name);
  }

  private static long atLeast(long value, long minimum, String name) {
    if (value < minimum) {
      throw new IllegalArgumentException(name + " must be at least " + minimum + ": " + value);
    }
    return value;
  }

  private static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name + " == null");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  private static Duration notNegative(Duration value, String name) {
    Objects.requireNonNull(value, name + " == null");
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
    return value;
  }

  NodeListener listener() {
    return listener;
  }

  ServerSettings serverSettings() {
    return new ServerSettings(reauthorizeInterval, shutdownWindow, bindTimeout, maxBufferedBytes,
        maxSubscriptionsPerSession, maxConnections, maxConnectionsPerAddress, maxBindings, actionsPerSecond, actionBurst,
        bindsPerSecond, bindBurst, authenticationTimeout, workerThreads, historyWindowBytes);
  }

  /** @throws IllegalArgumentException the bind address does not resolve */
  TransportSettings transportSettings() {
    InetSocketAddress address = bindAddress == null || bindAddress.isBlank()
        ? new InetSocketAddress(port)
        : new InetSocketAddress(bindAddress, port);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("bind address cannot be resolved: " + bindAddress);
    }
    return new TransportSettings(address, connectionLostTimeout, maxMessageBytes, handshakeTimeout,
        maxHandshakeBytes, acceptBacklog, Set.copyOf(allowedOrigins), allowMissingOrigin, Set.copyOf(trustedProxies), sslContext);
  }
}
