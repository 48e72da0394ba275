package io.myxi.broker.internal;

import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Turns the live events waiting for the publishing thread into packed messages ({@link
 * PackedEvents}): those of one exchange, in their order, up to {@link PackedEvents#MAX_PACK_BYTES}
 * or {@link PackedEvents#MAX_PACK_EVENTS} a message. A packed message is one {@link PendingPublish}
 * with its own confirm; its outcome settles every event in it (an event whose own deadline passed
 * first has failed already and stays failed). History events and messages already packed pass
 * through unchanged, and so does a lone event when keys are not bucketed (the gem's format costs
 * the same). Publishing thread only.
 */
final class PublishPacker {
  private final int buckets;
  private final PublishBlocking blocking;
  private final PublishDeadlines deadlines;

  PublishPacker(int buckets, PublishBlocking blocking, PublishDeadlines deadlines) {
    this.buckets = buckets;
    this.blocking = blocking;
    this.deadlines = deadlines;
  }

  /** Whether {@code pending} may go into a packed message. */
  static boolean packable(PendingPublish pending) {
    return pending.history == null && pending.properties == null;
  }

  /** What to publish, in order: the messages that are not packable, then one pack or more per exchange. */
  List<PendingPublish> pack(List<PendingPublish> drained) {
    List<PendingPublish> out = new ArrayList<>();
    Map<String, List<PendingPublish>> byExchange = new LinkedHashMap<>();
    for (PendingPublish pending : drained) {
      if (pending.result.isDone()) {
        continue; // Expired while it waited.
      }
      if (packable(pending)) {
        byExchange.computeIfAbsent(pending.message.exchange(), ignored -> new ArrayList<>()).add(pending);
      } else {
        out.add(pending);
      }
    }
    for (Map.Entry<String, List<PendingPublish>> group : byExchange.entrySet()) {
      List<PendingPublish> parts = new ArrayList<>();
      long bytes = 0;
      for (PendingPublish pending : group.getValue()) {
        long size = pending.message.body().length + PackedEvents.overhead(pending.message.routingKey());
        if (!parts.isEmpty() && (bytes + size > PackedEvents.MAX_PACK_BYTES || parts.size() == PackedEvents.MAX_PACK_EVENTS)) {
          out.add(packOf(group.getKey(), parts));
          parts = new ArrayList<>();
          bytes = 0;
        }
        parts.add(pending);
        bytes += size;
      }
      out.add(packOf(group.getKey(), parts));
    }
    return out;
  }

  private PendingPublish packOf(String exchange, List<PendingPublish> parts) {
    if (parts.size() == 1 && buckets == 0) {
      return parts.get(0);
    }
    long deadline = Long.MAX_VALUE;
    Duration timeout = parts.get(0).timeout;
    List<Broker.Message> messages = new ArrayList<>(parts.size());
    for (PendingPublish part : parts) {
      if (deadline == Long.MAX_VALUE || part.deadline - deadline < 0) {
        deadline = part.deadline;
        timeout = part.timeout;
      }
      messages.add(part.message);
    }
    List<String> routes = PackedEvents.routes(messages, buckets);
    Broker.Message packed = new Broker.Message(exchange, routes.get(0), PackedEvents.pack(messages));
    PendingPublish pack = new PendingPublish(packed, deadline, timeout, null, PackedEvents.properties(routes), blocking);
    pack.outcome.whenComplete((ignored, error) -> {
      if (error == null) {
        parts.forEach(PendingPublish::confirmed);
      } else {
        BrokerException failure = asBrokerException(error);
        parts.forEach(part -> part.fail(failure));
      }
    });
    if (!deadlines.watch(List.of(pack), pack.outcome, deadline)) {
      pack.fail(new BrokerException("RabbitMQ broker is closed"));
    }
    return pack;
  }

  private static BrokerException asBrokerException(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return cause instanceof BrokerException brokerException
        ? brokerException
        : new BrokerException("publish failed: " + AmqpSupport.rootMessage(cause), cause);
  }
}
