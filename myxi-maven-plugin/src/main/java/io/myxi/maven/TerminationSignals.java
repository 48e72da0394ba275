package io.myxi.maven;

import java.util.ArrayList;
import java.util.List;

/**
 * SIGINT (Ctrl-C) and SIGTERM as a request to drain, for as long as the goal runs: without it the
 * JVM would exit 130/143 from under Maven, and the build would not end normally. The previous
 * handlers are put back on close.
 */
@SuppressWarnings("removal")
final class TerminationSignals implements AutoCloseable {
  private final List<sun.misc.Signal> signals = new ArrayList<>();
  private final List<sun.misc.SignalHandler> previous = new ArrayList<>();

  private TerminationSignals() {}

  static TerminationSignals install(Runnable onSignal) {
    TerminationSignals installed = new TerminationSignals();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal signal = new sun.misc.Signal(name);
        sun.misc.SignalHandler old = sun.misc.Signal.handle(signal, caught -> onSignal.run());
        installed.signals.add(signal);
        installed.previous.add(old);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // Not on this platform, or taken (-Xrs): the shutdown hook still stops the node.
      }
    }
    return installed;
  }

  boolean installed() {
    return !signals.isEmpty();
  }

  @Override
  public void close() {
    for (int i = 0; i < signals.size(); i++) {
      sun.misc.Signal.handle(signals.get(i), previous.get(i));
    }
  }
}
