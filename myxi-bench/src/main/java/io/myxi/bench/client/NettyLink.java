package io.myxi.bench.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@link BenchClient} on Netty's WebSocket codec: the last handler of the client's pipeline, on
 * its event loop. Netty answers pings; this handler answers the server's close frame and reports it.
 */
final class NettyLink extends SimpleChannelInboundHandler<WebSocketFrame> implements ClientLink {
    private final BenchClient client;
    private volatile Channel channel;
    private volatile boolean closeSent;
    private volatile boolean closeReceived;

    NettyLink(BenchClient client) {
        this.client = client;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            client.opened(this);
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            client.onFailed(new IOException("WebSocket handshake timed out"));
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            client.onMessage(text.text());
        } else if (frame instanceof BinaryWebSocketFrame binary) {
            // The protocol reads binary frames as UTF-8 text; the bench servers only send text.
            client.onMessage(binary.content().toString(StandardCharsets.UTF_8));
        } else if (frame instanceof CloseWebSocketFrame close) {
            closeReceived = true;
            int code = close.statusCode();
            String reason = close.reasonText();
            if (closeSent) {
                ctx.close();
            } else {
                ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
            }
            client.onClosed(code, reason);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!closeReceived) {
            client.onFailed(new IOException("connection closed without a close frame"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        client.onFailed(cause);
        ctx.close();
    }

    @Override
    public void send(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text)).addListener(f -> {
            if (!f.isSuccess()) {
                client.fail(f.cause());
            }
        });
    }

    @Override
    public void close(int code, String reason) {
        closeSent = true;
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(f -> {
            if (!f.isSuccess()) {
                client.abortNow();
            }
        });
    }

    @Override
    public void abort() {
        Channel c = channel;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void readAll() {
        channel.config().setAutoRead(true);
    }

    @Override
    public void stopReading() {
        channel.config().setAutoRead(false);
    }
}
