package io.myxi.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 and an ephemeral port, put between a client and a server to inject
 * network faults: {@link #cutAll} drops every connection as a failing link does, {@link
 * #blackhole} stops forwarding while keeping the sockets open (a silent partition), {@link
 * #rejectNew} makes the far end look absent (connections are accepted and closed at once).
 *
 * <p>Blocking sockets with two pump threads per connection, named {@code test-proxy-*} so thread
 * counts can leave them out.
 */
public final class TcpProxy implements AutoCloseable {
  public static final String THREAD_PREFIX = "test-proxy-";
  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();

  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
  private final Object forwarding = new Object();
  private volatile boolean blackholed;
  private volatile boolean rejecting;
  private volatile boolean closed;
  private final AtomicInteger accepted = new AtomicInteger();

  private TcpProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, THREAD_PREFIX + "accept-" + THREAD_NUMBERS.incrementAndGet());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts a proxy forwarding to {@code host:port}. */
  public static TcpProxy to(String host, int port) throws IOException {
    return new TcpProxy(new InetSocketAddress(host, port));
  }

  /** A proxy to the RabbitMQ of the tests. */
  public static TcpProxy toRabbitMq() throws IOException {
    java.net.URI uri = java.net.URI.create(RabbitMqFixture.uri());
    return to(uri.getHost(), uri.getPort() == -1 ? 5672 : uri.getPort());
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** The AMQP URI of the tests' broker, through this proxy. */
  public String amqpUri() {
    java.net.URI uri = java.net.URI.create(RabbitMqFixture.uri());
    String userInfo = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    return uri.getScheme() + "://" + userInfo + "127.0.0.1:" + port() + path;
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Connections currently forwarded. */
  public int openConnections() {
    return pairs.size();
  }

  /** Closes every current connection abruptly (RST), as a broken link would. New ones are accepted. */
  public void cutAll() {
    for (Pair pair : pairs) {
      pair.abort();
    }
  }

  /** Stops moving bytes in both directions; sockets stay open, so neither end notices by TCP. */
  public void blackhole() {
    blackholed = true;
  }

  /** Accepted connections are closed at once, as if nothing listened behind the proxy. */
  public void rejectNew(boolean reject) {
    rejecting = reject;
  }

  /** Forwards again: ends {@link #blackhole()}. */
  public void heal() {
    synchronized (forwarding) {
      blackholed = false;
      forwarding.notifyAll();
    }
  }

  @Override
  public void close() {
    closed = true;
    heal();
    try {
      listener.close();
    } catch (IOException ignored) {
      // Closing anyway.
    }
    cutAll();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      if (rejecting) {
        closeQuietly(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(target, 5000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      Pair pair = new Pair(client, server);
      pairs.add(pair);
      pair.start();
    }
  }

  private void awaitForwarding() throws InterruptedException {
    synchronized (forwarding) {
      while (blackholed && !closed) {
        forwarding.wait();
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  private final class Pair {
    final Socket client;
    final Socket server;

    Pair(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void start() {
      int number = THREAD_NUMBERS.incrementAndGet();
      Thread up = new Thread(() -> pump(client, server), THREAD_PREFIX + "up-" + number);
      Thread down = new Thread(() -> pump(server, client), THREAD_PREFIX + "down-" + number);
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          awaitForwarding();
          int read = in.read(buffer);
          if (read < 0) {
            break;
          }
          // A partition that starts while bytes are in flight loses them, as the network would.
          awaitForwarding();
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // One side went away; take the other down with it.
      }
      abort();
    }

    void abort() {
      pairs.remove(this);
      for (Socket socket : new Socket[] {client, server}) {
        try {
          socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
          // Closed already.
        }
        closeQuietly(socket);
      }
    }
  }
}
