package io.myxi.server.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLContext;

/** The validated settings of one node, as given to {@code MyxiServer.Builder}. */
public record ServerSettings(
    InetSocketAddress address,
    Duration touchInterval,
    Duration connectionLostTimeout,
    Duration shutdownWindow,
    Duration bindTimeout,
    int maxMessageBytes,
    long maxBufferedBytes,
    int maxSubscriptionsPerSession,
    int maxConnections,
    double actionsPerSecond,
    int actionBurst,
    Duration authenticationTimeout,
    Duration handshakeTimeout,
    int maxHandshakeBytes,
    int acceptBacklog,
    Set<String> allowedOrigins,
    boolean allowMissingOrigin,
    Set<InetAddress> trustedProxies,
    int workerThreads,
    SSLContext sslContext) {}
