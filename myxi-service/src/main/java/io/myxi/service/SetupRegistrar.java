package io.myxi.service;

import io.myxi.ActionHandler;
import io.myxi.Authorizer;
import io.myxi.Registrar;

/**
 * What an application setup gets: the node's builder seen as a {@link Registrar} only, so a setup
 * cannot cast it back to the builder and swap the broker or the prefix the configuration chose.
 */
final class SetupRegistrar implements Registrar {
  private final Registrar builder;

  SetupRegistrar(Registrar builder) {
    this.builder = builder;
  }

  @Override
  public Registrar action(String name, ActionHandler handler) {
    builder.action(name, handler);
    return this;
  }

  @Override
  public Registrar authenticatedAction(String name, ActionHandler handler) {
    builder.authenticatedAction(name, handler);
    return this;
  }

  @Override
  public Registrar exchange(String name, Authorizer authorizer, io.myxi.Retention history) {
    builder.exchange(name, authorizer, history);
    return this;
  }

  @Override
  public Registrar exchange(String name, Authorizer authorizer) {
    builder.exchange(name, authorizer);
    return this;
  }
}
