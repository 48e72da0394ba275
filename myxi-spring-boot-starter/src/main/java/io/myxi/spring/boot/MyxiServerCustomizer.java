package io.myxi.spring.boot;

import io.myxi.server.MyxiServer;

/**
 * Changes the auto-configured {@link MyxiServer.Builder} after the {@code myxi.server.*} properties
 * are applied: for what properties cannot say, such as a TLS {@code SSLContext}. Declare it as a
 * bean; several run in their {@code @Order}.
 */
@FunctionalInterface
public interface MyxiServerCustomizer {
  void customize(MyxiServer.Builder builder);
}
