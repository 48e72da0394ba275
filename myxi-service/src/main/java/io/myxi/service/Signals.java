package io.myxi.service;

/**
 * SIGTERM and SIGINT as a request to drain and exit 0. A shutdown hook alone cannot do that: the
 * JVM then exits 143 (or 130) whatever the hook does, and process managers read that as a crash.
 */
@SuppressWarnings("removal")
final class Signals {
  private Signals() {}

  static void onTermination(Runnable action) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // Not available on this platform or already taken (-Xrs): the shutdown hook still drains.
      }
    }
  }
}
