package io.myxi;

/**
 * The values of {@code payload.error} in {@code Error} frames. Clients match on these strings;
 * they are part of the wire protocol and never change meaning. See docs/protocol.md.
 */
public final class ErrorCodes {
  /** The frame was not JSON, or not a JSON object. */
  public static final String INVALID_JSON = "InvalidJSON";
  /** {@code action} is missing, not a string, or no action of that name is registered. */
  public static final String INVALID_ACTION = "InvalidAction";
  /** The exchange named in the payload is not registered. */
  public static final String INVALID_EXCHANGE = "InvalidExchange";
  /** The routing key is missing, not a string or number, or longer than 255 UTF-8 bytes. */
  public static final String INVALID_ROUTING_KEY = "InvalidRoutingKey";
  /** The exchange's authorizer refused the subscription (or threw, which counts as a refusal). */
  public static final String SUBSCRIPTION_DENIED = "SubscriptionDenied";
  /** The session already holds this subscription. */
  public static final String ALREADY_SUBSCRIBED = "AlreadySubscribed";
  /** Unsubscribe named a subscription the session does not hold. */
  public static final String NOT_SUBSCRIBED = "NotSubscribed";
  /** The action requires an authenticated session. */
  public static final String AUTH_REQUIRED = "AuthRequired";
  /** Credentials given to an authentication action were refused. */
  public static final String INVALID_AUTHENTICATION = "InvalidAuthentication";
  /** The node is not connected to the broker, or the broker did not confirm in time. */
  public static final String BROKER_UNAVAILABLE = "BrokerUnavailable";
  /** The session reached its subscription cap. */
  public static final String TOO_MANY_SUBSCRIPTIONS = "TooManySubscriptions";
  /** The session sent actions faster than its rate limit allows; the action was not run. */
  public static final String RATE_LIMITED = "RateLimited";
  /**
   * The node holds its maximum of bindings (distinct exchange and routing key pairs in use): a key
   * no session of the node holds yet cannot be subscribed until others are released.
   */
  public static final String TOO_MANY_BINDINGS = "TooManyBindings";
  /** An action threw; the payload carries only a log id. Sent as event {@code InternalError}. */
  public static final String INTERNAL_ERROR = "InternalError";

  private ErrorCodes() {}
}
