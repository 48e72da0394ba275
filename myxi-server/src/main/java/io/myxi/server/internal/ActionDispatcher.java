package io.myxi.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.ActionDefinition;
import io.myxi.ActionRequest;
import io.myxi.CloseCodes;
import io.myxi.ErrorCodes;
import io.myxi.Events;
import io.myxi.Myxi;
import io.myxi.Session;
import io.myxi.server.ActionOutcome;
import io.myxi.server.SessionCloseReason;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns client frames into actions: admission (rate limit, bounded backlog), parsing with fixed
 * limits, the built-in {@code Ping}, the subscription actions (see {@link SubscriptionActions}) and
 * the application's registered actions.
 *
 * <p>Threads: {@link #onMessage} runs on the WebSocket library's decoder threads and only admits
 * and queues; everything else runs in the session's lane on a worker thread.
 */
final class ActionDispatcher {
  private static final Logger log = LoggerFactory.getLogger(ActionDispatcher.class);
  /** Refusals in a row after which a client that ignores {@code RateLimited} is disconnected. */
  private static final int RATE_LIMITED_REFUSALS_BEFORE_CLOSE = 100;
  /** Actions of one session waiting to run; more are refused with {@code RateLimited}. */
  static final int MAX_PENDING_ACTIONS = 256;
  /** Deepest nesting of arrays and objects in a client frame; deeper is InvalidJSON. */
  static final int MAX_INPUT_NESTING_DEPTH = 128;
  /** Longest tag, written as JSON, that replies echo. */
  static final int MAX_TAG_CHARS = 1024;
  /**
   * The action that logs a session out when the application registers none of that name: it
   * removes the login ({@code setAuth(null)}), answers {@code LoggedOut} and re-checks the
   * subscriptions.
   */
  static final String LOGOUT = "Logout";

  private final Myxi myxi;
  private final ObjectMapper mapper;
  private final ObjectMapper inputMapper;
  private final Replies replies;
  private final SubscriptionActions subscriptionActions;
  private final NodeEvents events;
  private final long maxBufferedBytes;

  private final Reauthorizer reauthorizer;

  ActionDispatcher(Myxi myxi, Replies replies, SubscriptionActions subscriptionActions, Reauthorizer reauthorizer, NodeEvents events, long maxBufferedBytes) {
    this.myxi = myxi;
    this.mapper = myxi.objectMapper();
    // Client frames are parsed with fixed limits, whatever the application's mapper allows.
    this.inputMapper = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_INPUT_NESTING_DEPTH).build())
        .build());
    this.replies = replies;
    this.subscriptionActions = subscriptionActions;
    this.reauthorizer = reauthorizer;
    this.events = events;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /** A client message arrived: admit it into the session's lane, or refuse it at once. */
  void onMessage(SessionImpl session, String text) {
    if (!session.rateLimiter().tryAcquire(System.nanoTime())) {
      onRateLimited(session, text);
      return;
    }
    // Within the rate, actions can still arrive faster than they run (a slow authorizer): bound
    // what waits, in count and in size, as the output is bounded.
    long size = text.length();
    if (session.lane().pending() >= MAX_PENDING_ACTIONS || !session.reserveInbound(size, maxBufferedBytes)) {
      replies.error(session, tagOf(text), ErrorCodes.RATE_LIMITED);
      return;
    }
    session.execute(() -> {
      try {
        handleMessage(session, text);
      } finally {
        session.releaseInbound(size);
      }
    });
  }

  private void onRateLimited(SessionImpl session, String text) {
    if (session.rateLimiter().refusedInARow() >= RATE_LIMITED_REFUSALS_BEFORE_CLOSE) {
      events.closeDecided(SessionCloseReason.RATE_LIMITED);
      session.closeFor(SessionCloseReason.RATE_LIMITED, CloseCodes.RATE_LIMITED, "rate limited");
      return;
    }
    replies.error(session, tagOf(text), ErrorCodes.RATE_LIMITED);
  }

  /** The tag of a message not otherwise handled, so even a refusal can be matched; null if none. */
  private JsonNode tagOf(String text) {
    try {
      JsonNode root = inputMapper.readTree(text);
      JsonNode tag = root != null && root.isObject() ? root.get("tag") : null;
      return tag != null && tagFits(tag) ? tag : null;
    } catch (IOException e) {
      return null; // The reply carries no tag then.
    }
  }

  /**
   * Whether {@code tag}, written as JSON, has at most {@link #MAX_TAG_CHARS} characters. Decided
   * without writing it for the tags clients send (short strings, integers): every action checks
   * its tag, and writing a tree through the mapper is the costly part of the check while a node's
   * code is still cold (a storm of reconnecting clients after a restart).
   */
  static boolean tagFits(JsonNode tag) {
    if (tag.isTextual()) {
      // Quotes add 2 characters; escaping turns one character into at most 6 ("\u001f").
      long length = tag.textValue().length();
      if (length * 6 + 2 <= MAX_TAG_CHARS) {
        return true;
      }
      if (length + 2 > MAX_TAG_CHARS) {
        return false;
      }
    } else if (tag.isIntegralNumber() && tag.canConvertToLong() || tag.isBoolean() || tag.isNull()) {
      return true; // at most 20 characters
    }
    return tag.toString().length() <= MAX_TAG_CHARS;
  }

  private void handleMessage(SessionImpl session, String text) {
    JsonNode root;
    try {
      root = inputMapper.readTree(text);
    } catch (IOException e) {
      replies.error(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    if (root == null || !root.isObject()) {
      replies.error(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    JsonNode tag = root.get("tag");
    if (tag != null && !tagFits(tag)) {
      // Every reply echoes the tag: a large one times a thousand routing keys is an amplifier.
      replies.error(session, null, ErrorCodes.INVALID_JSON);
      return;
    }
    JsonNode actionNode = root.get("action");
    JsonNode payload = root.get("payload");
    if (payload == null || payload.isNull()) {
      payload = mapper.createObjectNode();
    }
    if (!payload.isObject()) {
      replies.error(session, tag, ErrorCodes.INVALID_JSON);
      return;
    }
    if (actionNode == null || !actionNode.isTextual()) {
      replies.error(session, tag, ErrorCodes.INVALID_ACTION);
      return;
    }
    String action = actionNode.textValue();
    if (!Myxi.BUILT_IN_ACTIONS.contains(action)) {
      runApplicationAction(session, action, tag, payload);
      return;
    }
    long start = System.nanoTime();
    switch (action) {
      case "Subscribe" -> subscriptionActions.subscribe(session, tag, payload);
      case "Unsubscribe" -> subscriptionActions.unsubscribe(session, tag, payload);
      case "ListSubscriptions" -> subscriptionActions.list(session, tag);
      default -> session.sendReply(Events.PONG, tag, mapper.createObjectNode().put("time", Instant.now().getEpochSecond()));
    }
    events.actionRun(session, action, ActionOutcome.COMPLETED, System.nanoTime() - start);
  }

  private void runApplicationAction(SessionImpl session, String name, JsonNode tag, JsonNode payload) {
    Optional<ActionDefinition> definition = myxi.action(name);
    if (definition.isEmpty() && name.equals(LOGOUT)) {
      session.setAuth(null);
      session.sendReply(Events.LOGGED_OUT, tag, mapper.createObjectNode());
      recheckIfLoginChanged(session);
      events.actionRun(session, name, ActionOutcome.COMPLETED, 0);
      return;
    }
    if (definition.isEmpty()) {
      replies.error(session, tag, ErrorCodes.INVALID_ACTION);
      return;
    }
    if (definition.get().requiresAuthentication() && !session.isAuthenticated()) {
      replies.error(session, tag, ErrorCodes.AUTH_REQUIRED);
      events.actionRun(session, name, ActionOutcome.AUTH_REQUIRED, 0);
      return;
    }
    Request request = new Request(session, name, tag, payload);
    long start = System.nanoTime();
    ActionOutcome outcome = ActionOutcome.COMPLETED;
    try {
      definition.get().handler().handle(request);
    } catch (Exception | LinkageError e) {
      outcome = ActionOutcome.FAILED;
      String errorId = Ids.randomHex(6);
      log.error("Action {} of session {} failed [error id {}]", name, session.id(), errorId, e);
      events.errorSent(ErrorCodes.INTERNAL_ERROR);
      ObjectNode body = mapper.createObjectNode().put("error", ErrorCodes.INTERNAL_ERROR).put("id", errorId);
      session.sendReply(Events.INTERNAL_ERROR, tag, body);
    }
    recheckIfLoginChanged(session);
    events.actionRun(session, name, outcome, System.nanoTime() - start);
  }

  /**
   * The action changed the login (an Authenticate, a Logout): re-check every subscription right
   * now, in the lane, so its reply is followed by {@code Unsubscribed auto:true} for what the new
   * login may not see, before any later action runs. The client caused these authorizer calls, so
   * they are charged to its rate limit (which may go into debt: the re-check itself always runs).
   */
  private void recheckIfLoginChanged(SessionImpl session) {
    if (session.takeAuthChange()) {
      session.rateLimiter().charge(System.nanoTime(), session.liveSubscriptions().size());
      reauthorizer.reauthorizeInLane(session);
    }
  }

  /** The {@link ActionRequest} given to application handlers. */
  private final class Request implements ActionRequest {
    private final SessionImpl session;
    private final String action;
    private final JsonNode tag;
    private final JsonNode payload;

    Request(SessionImpl session, String action, JsonNode tag, JsonNode payload) {
      this.session = session;
      this.action = action;
      this.tag = tag;
      this.payload = payload;
    }

    @Override
    public Session session() {
      return session;
    }

    @Override
    public String action() {
      return action;
    }

    @Override
    public JsonNode payload() {
      return payload;
    }

    @Override
    public JsonNode tag() {
      return tag;
    }

    @Override
    public void reply(String event, Object body) {
      session.sendReply(event, tag, body == null ? mapper.createObjectNode() : body);
    }

    @Override
    public void error(String code, Object... fields) {
      if (fields.length % 2 != 0) {
        throw new IllegalArgumentException("fields must be name/value pairs");
      }
      replies.error(session, tag, code, fields);
    }
  }
}
