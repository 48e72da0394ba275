package io.myxi.server.internal.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLContext;

/** The settings of the WebSocket listener, as validated by {@code MyxiServer.Builder}. */
public record TransportSettings(
    InetSocketAddress address,
    Duration connectionLostTimeout,
    int maxMessageBytes,
    Duration handshakeTimeout,
    int maxHandshakeBytes,
    int acceptBacklog,
    Set<String> allowedOrigins,
    boolean allowMissingOrigin,
    Set<InetAddress> trustedProxies,
    SSLContext sslContext) {}
