package io.myxi.bench.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's side of the {@link Connector}: one bootstrap on a few NIO event loops; each client's
 * pipeline is HTTP codec, the WebSocket handshake and protocol handler (pings, masking), a frame
 * aggregator, then its {@link NettyLink}. Plain {@code ws://} only: the bench talks to loopback.
 */
final class NettyClients implements AutoCloseable {
    private static final int MAX_MESSAGE = 16 << 20;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Duration connectTimeout;

    NettyClients(int threads, Duration connectTimeout, int receiveBuffer) {
        AtomicInteger n = new AtomicInteger();
        this.group = new MultiThreadIoEventLoopGroup(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "ws-netty-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, NioIoHandler.newFactory());
        this.connectTimeout = connectTimeout;
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
        if (receiveBuffer > 0) {
            b.option(ChannelOption.SO_RCVBUF, receiveBuffer);
        }
        this.bootstrap = b;
    }

    void connect(BenchClient client, URI uri) {
        if (!"ws".equals(uri.getScheme())) {
            client.connectFailed(new IllegalArgumentException("the Netty load client speaks ws:// only, got " + uri));
            return;
        }
        // No Origin header, as the JDK client and other non-browser clients.
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .generateOriginHeader(false)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .maxFramePayloadLength(MAX_MESSAGE)
                .handshakeTimeoutMillis(connectTimeout.toMillis())
                .build();
        NettyLink link = new NettyLink(client);
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(
                        new HttpClientCodec(),
                        new HttpObjectAggregator(64 << 10),
                        new WebSocketClientProtocolHandler(config),
                        new WebSocketFrameAggregator(MAX_MESSAGE),
                        link);
            }
        }).connect(uri.getHost(), port).addListener(f -> {
            if (!f.isSuccess()) {
                client.connectFailed(f.cause());
            }
        });
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
