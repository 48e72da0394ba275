package io.myxi.server.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * What every session of a node shares: built once by the {@link Node}, so a session needs no
 * reference back to the node.
 *
 * @param replyFrames writes replies and session events with the application's JSON mapper
 * @param maxBufferedBytes output a session may have waiting before it is closed as a slow consumer
 * @param events where closes and drops are reported
 * @param timers the node's timer thread, for the abrupt close after a polite one
 * @param reauthorization re-checks one session's subscriptions; called in the session's lane
 */
record SessionContext(
    ReplyFrames replyFrames,
    long maxBufferedBytes,
    NodeEvents events,
    ScheduledExecutorService timers,
    Consumer<SessionImpl> reauthorization) {}
