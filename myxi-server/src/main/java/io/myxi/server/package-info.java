/**
 * The public API of the Myxi WebSocket node: {@link io.myxi.server.MyxiServer} and its builder,
 * {@link io.myxi.server.NodeStats}, and the observability seam {@link
 * io.myxi.server.NodeListener} with its reason enums ({@link io.myxi.server.SessionCloseReason},
 * {@link io.myxi.server.ConnectionRefusal}, {@link io.myxi.server.DropReason}, {@link
 * io.myxi.server.ActionOutcome}).
 *
 * <p>Everything an application uses is here or in {@code io.myxi} (myxi-core). Packages under
 * {@code io.myxi.server.internal} are not API: they change without notice.
 */
package io.myxi.server;
