package io.myxi;

import java.util.Objects;

/** A registered action: its name, its handler and whether it needs an authenticated session. */
public final class ActionDefinition {
  private final String name;
  private final ActionHandler handler;
  private final boolean requiresAuthentication;

  ActionDefinition(String name, ActionHandler handler, boolean requiresAuthentication) {
    this.name = name;
    this.handler = Objects.requireNonNull(handler, "handler");
    this.requiresAuthentication = requiresAuthentication;
  }

  public String name() {
    return name;
  }

  public ActionHandler handler() {
    return handler;
  }

  /** When true, unauthenticated sessions get {@code Error {error:"AuthRequired"}} instead. */
  public boolean requiresAuthentication() {
    return requiresAuthentication;
  }
}
