package io.myxi.server.internal;

import java.time.Duration;

/**
 * The validated settings of the engine, as given to {@code MyxiServer.Builder} (the listener's own
 * are in {@code transport.TransportSettings}).
 */
public record ServerSettings(
    Duration reauthorizeInterval,
    Duration shutdownWindow,
    Duration bindTimeout,
    long maxBufferedBytes,
    int maxSubscriptionsPerSession,
    int maxConnections,
    int maxConnectionsPerAddress,
    int maxBindings,
    double actionsPerSecond,
    int actionBurst,
    double bindsPerSecond,
    int bindBurst,
    Duration authenticationTimeout,
    int workerThreads,
    long historyWindowBytes) {}
