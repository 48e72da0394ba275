package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ExchangeDefinition;
import io.myxi.Subscription;
import io.myxi.broker.HistoryEvent;
import io.myxi.broker.HistoryFeed;
import io.myxi.server.DropReason;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exchange with history on this node: the listener of its stream feed (every event of the
 * exchange, in stream order, whatever the node's subscriptions), which encodes each event once with
 * its position ({@code mq.o}, {@code mq.t}), keeps it in a window of recent events bounded in bytes,
 * and queues it to the local subscribers of its key.
 *
 * <p>Threads: {@link #onEvent} and {@link #onReset} run on the broker's delivering thread (with
 * RabbitMQ, the connection's reader thread) and never block; the window is read by the {@link HistoryReader} and by subscribing lanes under this
 * object's monitor, held only to copy.
 */
final class ExchangeHistory implements HistoryFeed.Listener {
  private static final Logger log = LoggerFactory.getLogger(ExchangeHistory.class);

  /** One encoded event, as kept in the window and replayed. */
  record Stored(long offset, String tag, String routingKey, byte[] frame) {}

  /** A position a client sent back: the offset and the tag of the event there. */
  record Position(long offset, String tag) {}

  private final ExchangeDefinition exchange;
  private final ObjectMapper mapper;
  private final Subscriptions subscriptions;
  private final NodeEvents events;
  private final long maxBufferedBytes;
  private final long maxWindowBytes;
  private final ArrayDeque<Stored> window = new ArrayDeque<>(); // guarded by this
  private long windowBytes; // guarded by this
  private volatile Stored head;
  private volatile long resets;
  private HistoryReader reader;
  private HistoryFeed feed;

  ExchangeHistory(ExchangeDefinition exchange, ObjectMapper mapper, Subscriptions subscriptions, NodeEvents events,
      long maxBufferedBytes, long maxWindowBytes) {
    this.exchange = exchange;
    this.mapper = mapper;
    this.subscriptions = subscriptions;
    this.events = events;
    this.maxBufferedBytes = maxBufferedBytes;
    this.maxWindowBytes = maxWindowBytes;
  }

  void attach(HistoryFeed feed, HistoryReader reader) {
    this.feed = feed;
    this.reader = reader;
  }

  ExchangeDefinition exchange() {
    return exchange;
  }

  HistoryReader reader() {
    return reader;
  }

  @Override
  public void onEvent(HistoryEvent event) {
    events.stats().deliveriesReceived.increment();
    if (event.body().length > maxBufferedBytes) {
      drop(DropReason.TOO_LARGE, event, "larger than the per-session buffer of " + maxBufferedBytes + " bytes");
      return;
    }
    Stored stored = encode(event);
    if (stored == null) {
      return;
    }
    remember(stored);
    Subscription subscription = new Subscription(exchange.name(), event.routingKey());
    Set<SessionImpl> subscribers = subscriptions.subscribers(subscription);
    if (subscribers == null) {
      return; // Normal: the node reads every event of the exchange; few have local subscribers.
    }
    for (SessionImpl session : subscribers) {
      session.sendHistoryEvent(stored.frame(), subscription, stored.offset(), exchange.brokerName());
    }
  }

  @Override
  public void onReset(String reason) {
    log.warn("History of exchange {} restarts ({}); earlier positions can no longer be resumed", exchange.name(), reason);
    resets++;
    synchronized (this) {
      window.clear();
      windowBytes = 0;
    }
    head = null;
  }

  private void remember(Stored stored) {
    synchronized (this) {
      if (maxWindowBytes > 0) {
        window.addLast(stored);
        windowBytes += stored.frame().length;
        while (windowBytes > maxWindowBytes && window.size() > 1) {
          windowBytes -= window.removeFirst().frame().length;
        }
      }
    }
    head = stored;
  }

  /** The last event this node read: events after it reach new subscribers live. Null before the first. */
  Stored head() {
    return head;
  }

  /** The events in the window now, oldest first (a copy of the references). */
  synchronized List<Stored> windowSnapshot() {
    return new ArrayList<>(window);
  }

  /** The frame of an event read from the stream, as the live path encodes it; null if unusable. */
  Stored encode(HistoryEvent event) {
    JsonNode message;
    try {
      message = mapper.readTree(event.body());
    } catch (IOException e) {
      message = null;
    }
    if (message == null || !message.isObject() || !message.path("event").isTextual()) {
      drop(DropReason.INVALID_BODY, event, "the body is not {\"event\":..,\"payload\":..} JSON");
      return null;
    }
    ObjectNode frame = mapper.createObjectNode();
    frame.set("event", message.get("event"));
    JsonNode payload = message.get("payload");
    frame.set("payload", payload == null ? mapper.nullNode() : payload);
    frame.putObject("mq").put("e", exchange.name()).put("rk", event.routingKey()).put("o", event.offset()).put("t", event.tag());
    try {
      byte[] encoded = mapper.writeValueAsBytes(frame);
      events.stats().eventsEncoded.increment();
      return new Stored(event.offset(), event.tag(), event.routingKey(), encoded);
    } catch (JsonProcessingException e) {
      drop(DropReason.INVALID_BODY, event, "it cannot be written as JSON");
      return null;
    }
  }

  private void drop(DropReason reason, HistoryEvent event, String why) {
    events.deliveryDropped(exchange.brokerName(), event.routingKey(), reason);
    log.warn("Dropped history event {} of {} / {} ({} bytes): {}", event.offset(), exchange.brokerName(), event.routingKey(), event.body().length, why);
  }

  /** How many times the feed could not resume and started over. */
  long resets() {
    return resets;
  }

  void close() {
    HistoryFeed current = feed;
    if (current != null) {
      current.close();
    }
    HistoryReader currentReader = reader;
    if (currentReader != null) {
      currentReader.close();
    }
  }
}
