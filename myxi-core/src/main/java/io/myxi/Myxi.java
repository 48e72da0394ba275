package io.myxi;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.myxi.broker.Broker;
import io.myxi.broker.BrokerException;
import io.myxi.broker.InProcessBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The registry of one application's actions and exchanges, and the way to push events to them.
 *
 * <p>Immutable and thread-safe once built: share one instance across the application. A process
 * that runs no WebSocket server (a web request handler, a background job) builds one too, with the
 * same exchanges and the same broker, just to call {@link #pushEvent}.
 *
 * <pre>{@code
 * Myxi myxi = Myxi.builder()
 *     .broker(RabbitMqBroker.builder().uri("amqp://guest:guest@localhost:5672").build())
 *     .exchange("widgets", Authorizer.authenticated())
 *     .action("Authenticate", request -> ...)
 *     .build();
 * myxi.pushEvent("widgets", "1234", "WidgetUpdated", Map.of("name", "Bolt"));
 * }</pre>
 */
public final class Myxi implements AutoCloseable {
  /** Names of the actions every node provides; they cannot be registered again. */
  public static final Set<String> BUILT_IN_ACTIONS = Set.of("Subscribe", "Unsubscribe", "ListSubscriptions", "Ping");

  /** Characters an exchange name may not contain: grants are {@code exchange:pattern} globs. */
  public static final String RESERVED_EXCHANGE_CHARACTERS = ":*";

  /** RabbitMQ limits exchange names and routing keys to 255 bytes (UTF-8). */
  public static final int MAX_NAME_BYTES = 255;

  private final Map<String, ActionDefinition> actions;
  private final Map<String, ExchangeDefinition> exchanges;
  private final Map<String, ExchangeDefinition> exchangesByBrokerName;
  private final Broker broker;
  private final boolean ownsBroker;
  private final ObjectMapper objectMapper;
  /** Writes event payloads: a payload is a field of the body, never wrapped in a root name. */
  private final ObjectWriter payloadWriter;
  private final Duration publishTimeout;
  private final String exchangePrefix;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Myxi(Builder builder) {
    this.actions = Collections.unmodifiableMap(new LinkedHashMap<>(builder.actions));
    this.exchangePrefix = builder.exchangePrefix;
    Map<String, ExchangeDefinition> byName = new LinkedHashMap<>();
    Map<String, ExchangeDefinition> byBrokerName = new LinkedHashMap<>();
    builder.authorizers.forEach((name, authorizer) -> {
      ExchangeDefinition definition = new ExchangeDefinition(name, exchangePrefix + name, authorizer, builder.histories.get(name));
      byName.put(name, definition);
      byBrokerName.put(definition.brokerName(), definition);
    });
    this.exchanges = Collections.unmodifiableMap(byName);
    this.exchangesByBrokerName = Collections.unmodifiableMap(byBrokerName);
    this.ownsBroker = builder.broker == null;
    this.broker = ownsBroker ? new InProcessBroker() : builder.broker;
    this.objectMapper = builder.objectMapper != null ? builder.objectMapper : new ObjectMapper();
    this.payloadWriter = objectMapper.writer().without(SerializationFeature.WRAP_ROOT_VALUE);
    this.publishTimeout = builder.publishTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The action registered under {@code name}, if any (built-in actions are not listed here). */
  public Optional<ActionDefinition> action(String name) {
    return Optional.ofNullable(actions.get(name));
  }

  public Collection<ActionDefinition> actions() {
    return actions.values();
  }

  public Optional<ExchangeDefinition> exchange(String name) {
    return Optional.ofNullable(exchanges.get(name));
  }

  /** The exchange whose broker name (prefix included) is {@code brokerName}, if any. */
  public Optional<ExchangeDefinition> exchangeByBrokerName(String brokerName) {
    return Optional.ofNullable(exchangesByBrokerName.get(brokerName));
  }

  public Collection<ExchangeDefinition> exchanges() {
    return exchanges.values();
  }

  public String exchangePrefix() {
    return exchangePrefix;
  }

  public Broker broker() {
    return broker;
  }

  public ObjectMapper objectMapper() {
    return objectMapper;
  }

  public Duration publishTimeout() {
    return publishTimeout;
  }

  /**
   * Sends {@code event} with {@code payload} to every session, on every node, subscribed to
   * {@code routingKey} of {@code exchange}. Thread-safe; returns once the broker confirmed the
   * event, and never waits longer than the publish timeout.
   *
   * @param payload anything Jackson can serialize (a Map, a record, a JsonNode), or null
   * @throws IllegalArgumentException the exchange is not registered, or the routing key is invalid
   * @throws PublishException the broker did not confirm the event within the publish timeout
   */
  public void pushEvent(String exchange, String routingKey, String event, Object payload) {
    Broker.Message message = message(exchange, routingKey, event, payload);
    try {
      ExchangeDefinition definition = exchanges.get(exchange);
      Optional<Retention> history = definition.history();
      if (history.isPresent() && broker.supportsHistory()) {
        // One publish, one confirm: the node reads the stream, so the direct exchange is skipped
        // (publishing to both would deliver the event twice).
        broker.publishToHistory(definition.historyStream(), history.get(), routingKey, message.body(), publishTimeout);
      } else {
        broker.publish(message.exchange(), routingKey, message.body(), publishTimeout);
      }
    } catch (BrokerException e) {
      throw new PublishException(exchange, routingKey, e.getMessage(), e);
    }
  }

  /**
   * {@link #pushEvent} without waiting: the future completes once the broker confirmed the event,
   * or exceptionally with a {@link PublishException} (same causes, same publish timeout). Many
   * events can be in flight at once, so one thread publishes far more than one event per round trip.
   *
   * <p>Stages chained without an executor run on a thread of the broker's (not the one reading
   * from the broker): keep them short and non-blocking, or pass an executor ({@code thenRunAsync}).
   *
   * @throws IllegalArgumentException at once: the exchange is not registered, the routing key is
   *     invalid, or the payload cannot be written as JSON
   * @throws IllegalStateException at once: this instance is closed
   */
  public CompletableFuture<Void> pushEventAsync(String exchange, String routingKey, String event, Object payload) {
    Broker.Message message = message(exchange, routingKey, event, payload);
    return withPublishException(publishAsync(exchanges.get(exchange), message), exchange, routingKey);
  }

  /**
   * Several events in one go, in this order: the future completes once the broker confirmed all of
   * them, or exceptionally with the first {@link PublishException}; then some of them may have
   * been published. On RabbitMQ the whole batch is written at once and confirmed together.
   * Arguments are checked as by {@link #pushEventAsync}, all of them before anything is published.
   */
  public CompletableFuture<Void> pushEvents(List<Event> events) {
    Objects.requireNonNull(events, "events");
    List<Broker.Message> messages = new ArrayList<>(events.size());
    for (Event event : events) {
      messages.add(message(event.exchange(), event.routingKey(), event.event(), event.payload()));
    }
    if (messages.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Event first = events.get(0);
    String exchange = events.stream().allMatch(e -> e.exchange().equals(first.exchange())) ? first.exchange() : "(several)";
    String routingKey = events.size() == 1 ? first.routingKey() : "(" + events.size() + " events)";
    List<Broker.Message> live = new ArrayList<>(messages.size());
    List<CompletableFuture<Void>> stored = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      ExchangeDefinition definition = exchanges.get(events.get(i).exchange());
      if (keepsHistory(definition)) {
        stored.add(publishAsync(definition, messages.get(i)));
      } else {
        live.add(messages.get(i));
      }
    }
    CompletableFuture<Void> published = live.isEmpty() ? CompletableFuture.completedFuture(null) : broker.publishBatch(live, publishTimeout);
    if (!stored.isEmpty()) {
      stored.add(published);
      published = CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new));
    }
    return withPublishException(published, exchange, routingKey);
  }

  private boolean keepsHistory(ExchangeDefinition definition) {
    return definition.history().isPresent() && broker.supportsHistory();
  }

  /** One event: to its history stream when its exchange keeps history, else to the exchange. */
  private CompletableFuture<Void> publishAsync(ExchangeDefinition definition, Broker.Message message) {
    if (keepsHistory(definition)) {
      return broker.publishToHistoryAsync(definition.historyStream(), definition.history().get(), message.routingKey(), message.body(), publishTimeout);
    }
    return broker.publishAsync(message.exchange(), message.routingKey(), message.body(), publishTimeout);
  }

  private static CompletableFuture<Void> withPublishException(CompletableFuture<Void> published, String exchange, String routingKey) {
    return published.handle((ignored, error) -> {
      if (error == null) {
        return null;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      throw new CompletionException(new PublishException(exchange, routingKey, cause.getMessage(), cause));
    });
  }

  /** Checks one event and writes its broker body. */
  private Broker.Message message(String exchange, String routingKey, String event, Object payload) {
    Objects.requireNonNull(exchange, "exchange");
    Objects.requireNonNull(routingKey, "routingKey");
    Objects.requireNonNull(event, "event");
    ExchangeDefinition definition = exchanges.get(exchange);
    if (definition == null) {
      throw new IllegalArgumentException("Unknown exchange '" + exchange + "': register it with Myxi.Builder.exchange(name, authorizer)");
    }
    if (!isValidRoutingKey(routingKey)) {
      throw new IllegalArgumentException("Routing key longer than " + MAX_NAME_BYTES + " bytes");
    }
    if (closed.get()) {
      throw new IllegalStateException("This Myxi instance is closed");
    }
    // Written with a generator: no tree of the body, and the payload as the mapper writes it. The
    // body is never wrapped in a root name, whatever the mapper says (the node could not read it).
    ByteArrayBuilder body = new ByteArrayBuilder(256);
    try (JsonGenerator g = objectMapper.createGenerator(body, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("event", event);
      g.writeFieldName("payload");
      payloadWriter.writeValue(g, payload);
      g.writeEndObject();
    } catch (Exception e) {
      throw new IllegalArgumentException("Payload of event '" + event + "' cannot be written as JSON", e);
    }
    return new Broker.Message(definition.brokerName(), routingKey, body.toByteArray());
  }

  /**
   * Whether {@code routingKey} can be used on the broker: at most {@link #MAX_NAME_BYTES} bytes of
   * UTF-8. The one check for publishers and for the keys clients subscribe to.
   */
  public static boolean isValidRoutingKey(String routingKey) {
    return routingKey != null && routingKey.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES;
  }

  /** Closes the broker if this instance created it (the in-process default). Safe to call twice. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownsBroker) {
      broker.close();
    }
  }

  /** Builds {@link Myxi} instances. Not thread-safe. */
  public static final class Builder implements Registrar {
    private final Map<String, ActionDefinition> actions = new LinkedHashMap<>();
    private final Map<String, Authorizer> authorizers = new LinkedHashMap<>();
    private final Map<String, Retention> histories = new LinkedHashMap<>();
    private Broker broker;
    private ObjectMapper objectMapper;
    private Duration publishTimeout = Duration.ofSeconds(5);
    private String exchangePrefix = "";

    private Builder() {}

    /** Registers an action any session may call. */
    public Builder action(String name, ActionHandler handler) {
      return addAction(name, handler, false);
    }

    /** Registers an action only authenticated sessions may call; others get {@code AuthRequired}. */
    public Builder authenticatedAction(String name, ActionHandler handler) {
      return addAction(name, handler, true);
    }

    private Builder addAction(String name, ActionHandler handler, boolean requiresAuthentication) {
      requireName(name, "action name");
      Objects.requireNonNull(handler, "handler == null");
      if (BUILT_IN_ACTIONS.contains(name)) {
        throw new IllegalArgumentException("action '" + name + "' is built in and cannot be registered");
      }
      if (actions.containsKey(name)) {
        throw new IllegalArgumentException("action '" + name + "' is already registered");
      }
      actions.put(name, new ActionDefinition(name, handler, requiresAuthentication));
      return this;
    }

    /**
     * Registers an exchange and the authorizer that decides who may subscribe to its keys. The
     * name may not contain {@code :} or {@code *}: grants written {@code exchange:pattern} split at
     * the first colon and treat {@code *} as a wildcard, so such a name could be granted by
     * accident (a grant {@code team:1:*} would be read as exchange {@code team}, keys {@code 1:*}).
     */
    public Builder exchange(String name, Authorizer authorizer) {
      requireName(name, "exchange name");
      for (char reserved : RESERVED_EXCHANGE_CHARACTERS.toCharArray()) {
        if (name.indexOf(reserved) >= 0) {
          throw new IllegalArgumentException("exchange name '" + name + "' contains '" + reserved
              + "', which grants (exchange:pattern) reserve; choose a name without ':' or '*'");
        }
      }
      Objects.requireNonNull(authorizer, "authorizer == null");
      if (authorizers.containsKey(name)) {
        throw new IllegalArgumentException("exchange '" + name + "' is already registered");
      }
      authorizers.put(name, authorizer);
      return this;
    }

    /**
     * Registers an exchange whose events are kept for {@code history} in a RabbitMQ stream, so a
     * client that reconnects gets what it missed (see docs/delivery.md). Null keeps no history.
     */
    @Override
    public Builder exchange(String name, Authorizer authorizer, Retention history) {
      exchange(name, authorizer);
      if (history != null) {
        histories.put(name, history);
      }
      return this;
    }

    /**
     * The broker events travel through. Default: a new {@link InProcessBroker}, which only reaches
     * sessions of this JVM. The caller keeps ownership of a broker given here and closes it.
     */
    public Builder broker(Broker broker) {
      this.broker = Objects.requireNonNull(broker, "broker == null");
      return this;
    }

    /** The JSON mapper for payloads. Default: a plain {@code new ObjectMapper()}. */
    public Builder objectMapper(ObjectMapper objectMapper) {
      this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper == null");
      return this;
    }

    /** How long {@link Myxi#pushEvent} waits for the broker's confirmation. Default 5 s. */
    public Builder publishTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout == null");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("publishTimeout must be positive: " + timeout);
      }
      this.publishTimeout = timeout;
      return this;
    }

    /**
     * A prefix put before every exchange name on the broker (such as {@code "staging."}), so several
     * environments can share one broker. Clients keep using the plain names. Default: none.
     */
    public Builder exchangePrefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix == null");
      if (prefix.getBytes(StandardCharsets.UTF_8).length > 100) {
        throw new IllegalArgumentException("exchangePrefix longer than 100 bytes: " + prefix);
      }
      this.exchangePrefix = prefix;
      return this;
    }

    public Myxi build() {
      for (String name : authorizers.keySet()) {
        if ((exchangePrefix + name).getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
          throw new IllegalArgumentException("exchange name with prefix longer than " + MAX_NAME_BYTES + " bytes: " + exchangePrefix + name);
        }
      }
      return new Myxi(this);
    }

    private static void requireName(String name, String what) {
      Objects.requireNonNull(name, what + " == null");
      if (name.isEmpty()) {
        throw new IllegalArgumentException(what + " is empty");
      }
      if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
        throw new IllegalArgumentException(what + " longer than " + MAX_NAME_BYTES + " bytes: " + name);
      }
    }
  }
}
