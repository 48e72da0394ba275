package io.myxi.testing;

import java.util.ArrayList;
import java.util.List;

/** Closes what a test opened, newest first, so nodes stop before the brokers they use. */
public final class Closer implements AutoCloseable {
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Registers {@code resource} to be closed and returns it. */
  public synchronized <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  @Override
  public synchronized void close() throws Exception {
    Exception first = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    resources.clear();
    if (first != null) {
      throw first;
    }
  }
}
