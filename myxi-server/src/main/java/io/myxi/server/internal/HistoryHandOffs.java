package io.myxi.server.internal;

import io.myxi.Subscription;
import java.util.HashMap;
import java.util.Map;

/**
 * One session's bookkeeping for the subscriptions of history exchanges: the offset of the last
 * event queued per subscription (so an event is never queued twice, live or replayed), and the
 * hand-off of a subscription whose missed events are being replayed (its live events held back
 * until the replay ends). Not thread-safe: {@link SessionImpl} calls it under its send lock only,
 * the lock that also orders every frame it queues.
 */
final class HistoryHandOffs {
  /** How the session queues a frame of a subscription (counting a drop when it is too slow). */
  interface Output {
    void queue(byte[] utf8, Subscription subscription, String brokerExchange);
  }

  private final Output output;
  private final Map<Subscription, Long> lastOffsets = new HashMap<>();
  private final Map<Subscription, HandOff> handOffs = new HashMap<>();

  HistoryHandOffs(Output output) {
    this.output = output;
  }

  /** A live event: held back while the subscription's replay runs, else queued once. */
  void live(byte[] utf8, Subscription subscription, long offset, String brokerExchange) {
    HandOff handOff = handOffs.get(subscription);
    if (handOff != null) {
      handOff.hold(offset, utf8, brokerExchange);
    } else {
      queueOnce(utf8, subscription, offset, brokerExchange);
    }
  }

  /** Queues the event unless its offset (or a later one) was queued for the subscription already. */
  void queueOnce(byte[] utf8, Subscription subscription, long offset, String brokerExchange) {
    Long last = lastOffsets.get(subscription);
    if (last != null && offset <= last) {
      return;
    }
    lastOffsets.put(subscription, offset);
    output.queue(utf8, subscription, brokerExchange);
  }

  /** Starts holding back live events of the subscription, up to {@code boundBytes}. */
  void begin(Subscription subscription, long boundBytes) {
    handOffs.put(subscription, new HandOff(boundBytes));
    lastOffsets.remove(subscription);
  }

  /**
   * Ends the hand-off (see {@link SessionImpl#endHandOff}): when {@code active} is false (the
   * subscription is gone or the session closing) it is only forgotten; when the replay recovered
   * but live events were dropped, holding restarts and the first offset dropped is returned; else
   * nothing at or before {@code clientHasThrough} is queued from now on, {@code reply} runs, and the
   * held events are queued once.
   */
  long end(Subscription subscription, boolean active, boolean recovered, long clientHasThrough, Runnable reply) {
    HandOff handOff = handOffs.get(subscription);
    if (handOff == null || !active) {
      handOffs.remove(subscription);
      return HandOff.NONE_DROPPED;
    }
    if (recovered && handOff.droppedFrom() != HandOff.NONE_DROPPED) {
      return handOff.restart();
    }
    // Not recovered (the replay failed), live events dropped meanwhile, if any, are not read
    // again: the client is told its position cannot be resumed.
    handOffs.remove(subscription);
    if (clientHasThrough >= 0) {
      lastOffsets.merge(subscription, clientHasThrough, Math::max);
    }
    reply.run();
    for (HandOff.Held event : handOff.held()) {
      queueOnce(event.frame(), subscription, event.offset(), event.brokerExchange());
    }
    return HandOff.NONE_DROPPED;
  }

  /** Forgets a hand-off whose subscription could not be added. */
  void cancel(Subscription subscription) {
    handOffs.remove(subscription);
  }

  /** Forgets everything of a subscription that is removed. */
  void forget(Subscription subscription) {
    lastOffsets.remove(subscription);
    handOffs.remove(subscription);
  }
}
