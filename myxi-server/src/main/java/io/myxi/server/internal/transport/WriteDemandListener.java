package io.myxi.server.internal.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketListener;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PingFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;

/**
 * What each connection reports to: the server, except that queued bytes go to the {@link
 * SocketWriter} first (the server's own {@code onWriteDemand} is final, so this is the one place
 * to step in). Everything else is passed on unchanged.
 */
final class WriteDemandListener implements WebSocketListener {
  private final WebSocketListener server;
  private final SocketWriter writer;

  WriteDemandListener(WebSocketListener server, SocketWriter writer) {
    this.server = server;
    this.writer = writer;
  }

  @Override
  public void onWriteDemand(WebSocket connection) {
    if (!(connection instanceof MyxiWebSocket webSocket) || !writer.onWriteDemand(webSocket)) {
      server.onWriteDemand(connection);
    }
  }

  @Override
  public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket connection, Draft draft, ClientHandshake request)
      throws InvalidDataException {
    return server.onWebsocketHandshakeReceivedAsServer(connection, draft, request);
  }

  @Override
  public void onWebsocketHandshakeReceivedAsClient(WebSocket connection, ClientHandshake request, ServerHandshake response)
      throws InvalidDataException {
    server.onWebsocketHandshakeReceivedAsClient(connection, request, response);
  }

  @Override
  public void onWebsocketHandshakeSentAsClient(WebSocket connection, ClientHandshake request) throws InvalidDataException {
    server.onWebsocketHandshakeSentAsClient(connection, request);
  }

  @Override
  public void onWebsocketMessage(WebSocket connection, String message) {
    server.onWebsocketMessage(connection, message);
  }

  @Override
  public void onWebsocketMessage(WebSocket connection, ByteBuffer blob) {
    server.onWebsocketMessage(connection, blob);
  }

  @Override
  public void onWebsocketOpen(WebSocket connection, Handshakedata handshake) {
    server.onWebsocketOpen(connection, handshake);
  }

  @Override
  public void onWebsocketClose(WebSocket connection, int code, String reason, boolean remote) {
    server.onWebsocketClose(connection, code, reason, remote);
  }

  @Override
  public void onWebsocketClosing(WebSocket connection, int code, String reason, boolean remote) {
    server.onWebsocketClosing(connection, code, reason, remote);
  }

  @Override
  public void onWebsocketCloseInitiated(WebSocket connection, int code, String reason) {
    server.onWebsocketCloseInitiated(connection, code, reason);
  }

  @Override
  public void onWebsocketError(WebSocket connection, Exception error) {
    server.onWebsocketError(connection, error);
  }

  @Override
  public void onWebsocketPing(WebSocket connection, Framedata frame) {
    server.onWebsocketPing(connection, frame);
  }

  @Override
  public PingFrame onPreparePing(WebSocket connection) {
    return server.onPreparePing(connection);
  }

  @Override
  public void onWebsocketPong(WebSocket connection, Framedata frame) {
    server.onWebsocketPong(connection, frame);
  }

  @Override
  public InetSocketAddress getLocalSocketAddress(WebSocket connection) {
    return server.getLocalSocketAddress(connection);
  }

  @Override
  public InetSocketAddress getRemoteSocketAddress(WebSocket connection) {
    return server.getRemoteSocketAddress(connection);
  }
}
