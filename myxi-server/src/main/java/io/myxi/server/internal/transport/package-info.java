/**
 * Not API. Everything that knows Java-WebSocket: the listener ({@code WebSocketTransport}), the
 * per-connection socket ({@code MyxiWebSocket}, the engine's {@code Connection}), the protocol
 * draft with its limits ({@code MyxiDraft}), byte accounting ({@code CountingChannel}), the
 * socket writer thread ({@code SocketWriter}, {@code WriteDemandListener}) and the lingering close.
 *
 * <p>It reports to the engine through {@code ConnectionHandler} and depends on nothing of the
 * engine.
 */
package io.myxi.server.internal.transport;
