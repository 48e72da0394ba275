package io.myxi;

import java.util.Objects;

/** {@link Registrar#viewOf}: forwards every registration and returns itself, never its target. */
final class RegistrarView implements Registrar {
  private final Registrar target;

  RegistrarView(Registrar target) {
    this.target = Objects.requireNonNull(target, "target == null");
  }

  @Override
  public Registrar action(String name, ActionHandler handler) {
    target.action(name, handler);
    return this;
  }

  @Override
  public Registrar authenticatedAction(String name, ActionHandler handler) {
    target.authenticatedAction(name, handler);
    return this;
  }

  @Override
  public Registrar exchange(String name, Authorizer authorizer) {
    target.exchange(name, authorizer);
    return this;
  }

  @Override
  public Registrar exchange(String name, Authorizer authorizer, Retention history) {
    target.exchange(name, authorizer, history);
    return this;
  }
}
