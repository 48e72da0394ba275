package io.myxi;

/**
 * {@link Myxi#pushEvent} could not get the event confirmed by the broker within its bound: the
 * broker is down, blocked by a resource alarm, or did not confirm in time. The event may or may not
 * have been delivered; it has not been confirmed.
 */
public class PublishException extends MyxiException {
  private final String exchange;
  private final String routingKey;

  public PublishException(String exchange, String routingKey, String reason, Throwable cause) {
    super("Could not publish to exchange '" + exchange + "' with routing key '" + routingKey + "': " + reason, cause);
    this.exchange = exchange;
    this.routingKey = routingKey;
  }

  public String exchange() {
    return exchange;
  }

  public String routingKey() {
    return routingKey;
  }
}
