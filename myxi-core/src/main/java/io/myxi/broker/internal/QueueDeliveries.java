package io.myxi.broker.internal;

import com.rabbitmq.client.Delivery;
import io.myxi.broker.NodeQueue;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a node queue's deliveries to its listener, on the connection's reader thread: a single
 * event as it is, a packed message ({@link PackedEvents}) event by event. A listener that throws
 * costs only its event; the caller acknowledges the delivery whatever happens.
 */
final class QueueDeliveries {
  // Logged as the queue's: one place for everything about deliveries.
  private static final Logger log = LoggerFactory.getLogger(RabbitNodeQueue.class);

  private final NodeQueue.Listener listener;
  /**
   * The queue's bindings when the events of a packed message are passed on only for keys bound
   * here (a pack carries the events of every key it was routed by, CC, most of them maybe for
   * other nodes); null with routing buckets, whose bindings are buckets ({@link BucketedNodeQueue}
   * filters by key).
   */
  private final Set<Binding> boundKeys;

  QueueDeliveries(NodeQueue.Listener listener, Set<Binding> boundKeys) {
    this.listener = listener;
    this.boundKeys = boundKeys;
  }

  void handle(Delivery delivery) {
    String exchange = delivery.getEnvelope().getExchange();
    String routingKey = delivery.getEnvelope().getRoutingKey();
    try {
      if (PackedEvents.TYPE.equals(delivery.getProperties().getType())) {
        unpack(exchange, delivery.getBody());
      } else {
        listener.onDelivery(exchange, routingKey, delivery.getBody());
      }
    } catch (RuntimeException | Error e) {
      // Even an Error: the caller acknowledges the delivery, or it would hold a prefetch slot forever.
      log.error("Delivery listener threw; delivery on {} / {} dropped", exchange, AmqpSupport.printable(routingKey), e);
    }
  }

  /** The events of a packed message, each as if it came alone; a fault drops the rest of the message. */
  private void unpack(String exchange, byte[] body) {
    try {
      PackedEvents.unpack(body, (routingKey, buffer, offset, length) -> {
        if (boundKeys != null && !boundKeys.contains(new Binding(exchange, routingKey))) {
          return; // Another node's key, routed here with one of ours.
        }
        try {
          listener.onDelivery(exchange, routingKey, buffer, offset, length);
        } catch (RuntimeException e) {
          log.error("Delivery listener threw; event on {} / {} of a packed message dropped", exchange, AmqpSupport.printable(routingKey), e);
        }
      });
    } catch (IllegalArgumentException e) {
      log.warn("Packed message on {} dropped from where it is invalid ({} bytes): {}", exchange, body.length, e.getMessage());
    }
  }
}
