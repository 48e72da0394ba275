package io.myxi.bench.client;

/**
 * The socket under one {@link BenchClient}, whatever WebSocket library carries it (the JDK's
 * {@code java.net.http.WebSocket}, or Netty's codec on one event loop): the client's protocol logic
 * sends and closes through this and receives whole text messages back.
 *
 * <p>Reading: while setting up, a link delivers messages as they come (the JDK link one at a time);
 * {@link #readAll()} lets it read freely, {@link #stopReading()} stops reading the socket so that the
 * server's writes back up (a slow client).
 */
public interface ClientLink {
    /** Sends one text message; sends never overlap and keep their order. A failure fails the client. */
    void send(String text);

    /** Starts a close handshake; falls back to the client's abort if the close cannot be sent. */
    void close(int code, String reason);

    /**
     * Drops the TCP connection without a close handshake (a vanished browser). Only the socket: use
     * {@link BenchClient#abortNow()}, which also marks the client gone.
     */
    void abort();

    /** Reads every message as it arrives from now on. */
    void readAll();

    /** Stops reading the socket (the server's writes back up in the kernel buffers). */
    void stopReading();
}
