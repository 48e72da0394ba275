package io.myxi.server.internal;

/**
 * A token bucket: {@code burst} actions at once, refilled at {@code perSecond}. Counts refusals in a
 * row so a client that ignores {@code RateLimited} replies can be disconnected.
 */
final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private double tokens; // guarded by this
  private long lastRefillNanos; // guarded by this
  private int refusedInARow; // guarded by this

  RateLimiter(double perSecond, int burst, long nowNanos) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.lastRefillNanos = nowNanos;
  }

  /** Takes one token; false when none is left. Always true when the limit is off (rate 0). */
  synchronized boolean tryAcquire(long nowNanos) {
    if (perSecond <= 0) {
      return true;
    }
    double refill = (nowNanos - lastRefillNanos) / 1e9 * perSecond;
    tokens = Math.min(burst, tokens + refill);
    lastRefillNanos = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      refusedInARow = 0;
      return true;
    }
    refusedInARow++;
    return false;
  }

  synchronized int refusedInARow() {
    return refusedInARow;
  }
}
