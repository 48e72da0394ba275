package io.myxi;

import com.fasterxml.jackson.databind.JsonNode;

/** One action sent by a client, as given to an {@link ActionHandler}. */
public interface ActionRequest {
  /** The session that sent the action. */
  Session session();

  /** The action name. */
  String action();

  /** The payload; an empty object when the client sent none. Never null. */
  JsonNode payload();

  /** The client's tag, or null when it sent none. */
  JsonNode tag();

  /** Sends {@code {"event":event,"tag":tag,"payload":payload}} to the session. */
  void reply(String event, Object payload);

  /**
   * Sends {@code {"event":"Error","tag":tag,"payload":{"error":code, ...fields}}} to the session.
   *
   * @param fields alternating names and values added to the payload after {@code error}
   */
  void error(String code, Object... fields);
}
