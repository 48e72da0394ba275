package io.myxi.server.internal.transport;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.drafts.Draft;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;

/** Creates {@link MyxiWebSocket}s over {@link CountingChannel}s, with TLS when configured. */
final class MyxiWebSocketFactory implements WebSocketServerFactory {
  private final int maxHandshakeBytes;
  private final DefaultSSLWebSocketServerFactory tls;
  /** Connections whose handshake is not done yet, for the handshake deadline. */
  private final Set<MyxiWebSocket> handshaking = ConcurrentHashMap.newKeySet();
  private final LingeringClose lingeringClose;
  private final SocketWriter socketWriter = new SocketWriter();
  private final ConnectionHandler handler;

  MyxiWebSocketFactory(int maxHandshakeBytes, SSLContext sslContext, ScheduledExecutorService timers, ConnectionHandler handler) {
    this.maxHandshakeBytes = maxHandshakeBytes;
    this.handler = handler;
    this.lingeringClose = new LingeringClose(timers);
    this.tls = sslContext == null ? null : new DefaultSSLWebSocketServerFactory(sslContext);
  }

  @Override
  public WebSocketImpl createWebSocket(WebSocketAdapter adapter, Draft draft) {
    return createWebSocket(adapter, List.of(draft));
  }

  @Override
  public WebSocketImpl createWebSocket(WebSocketAdapter adapter, List<Draft> drafts) {
    MyxiWebSocket webSocket = new MyxiWebSocket(new WriteDemandListener(adapter, socketWriter), drafts, maxHandshakeBytes, handler,
        socketWriter);
    handshaking.add(webSocket);
    return webSocket;
  }

  @Override
  public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) throws IOException {
    ByteChannel inner = tls == null ? channel : tls.wrapChannel(channel, key);
    return new CountingChannel(channel, inner, ((MyxiWebSocket) key.attachment()).writtenBytes(), lingeringClose);
  }

  Set<MyxiWebSocket> handshaking() {
    return handshaking;
  }

  @Override
  public void close() {
    socketWriter.close();
    lingeringClose.close();
    if (tls != null) {
      tls.close();
    }
  }
}
