package io.myxi.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.Events;
import io.myxi.ExchangeDefinition;
import io.myxi.Myxi;
import io.myxi.Subscription;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-authorization: runs every subscription's authorizer again and revokes what is no longer
 * allowed, with {@code Unsubscribed auto:true}. Always in the session's lane, so it never races
 * the session's own actions.
 */
final class Reauthorizer {
  private static final Logger log = LoggerFactory.getLogger(Reauthorizer.class);

  private final Myxi myxi;
  private final Subscriptions subscriptions;
  private final Replies replies;

  Reauthorizer(Myxi myxi, Subscriptions subscriptions, Replies replies) {
    this.myxi = myxi;
    this.subscriptions = subscriptions;
    this.replies = replies;
  }

  /** Re-checks one session's subscriptions now. Must run in the session's lane. */
  void reauthorizeInLane(SessionImpl session) {
    for (Subscription subscription : Subscriptions.sorted(session.liveSubscriptions())) {
      Optional<ExchangeDefinition> exchange = myxi.exchange(subscription.exchange());
      if (exchange.isPresent() && subscriptions.authorize(session, exchange.get(), subscription.routingKey())) {
        continue;
      }
      if (subscriptions.remove(session, subscription)) {
        log.debug("Session {}: subscription {} revoked by re-authorization", session.id(), subscription);
        ObjectNode body = replies.subscription(subscription, true, true);
        session.sendReply(Events.UNSUBSCRIBED, null, body);
      }
    }
  }

  /** Queues re-authorization of every session that has subscriptions: the periodic check. */
  void reauthorizeAll(Collection<SessionImpl> sessions) {
    for (SessionImpl session : sessions) {
      if (!session.liveSubscriptions().isEmpty()) {
        session.reauthorize();
      }
    }
  }

  /** Re-authorizes every session and waits until all ran, at most {@code timeout}. */
  void reauthorizeAllAndWait(Collection<SessionImpl> sessions, Duration timeout) throws InterruptedException {
    List<SessionImpl> snapshot = List.copyOf(sessions);
    CountDownLatch done = new CountDownLatch(snapshot.size());
    for (SessionImpl session : snapshot) {
      session.execute(() -> {
        try {
          reauthorizeInLane(session);
        } finally {
          done.countDown();
        }
      });
    }
    done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
