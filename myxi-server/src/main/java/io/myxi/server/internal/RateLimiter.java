package io.myxi.server.internal;

/**
 * A token bucket: {@code burst} tokens at once, refilled at {@code perSecond}. Counts refusals in a
 * row so a client that ignores {@code RateLimited} replies can be disconnected.
 */
final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private double tokens; // guarded by this; negative while in debt
  private long lastRefillNanos; // guarded by this
  private int refusedInARow; // guarded by this

  RateLimiter(double perSecond, int burst, long nowNanos) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.lastRefillNanos = nowNanos;
  }

  /** Takes one token; false when none is left. Always true when the limit is off (rate 0). */
  boolean tryAcquire(long nowNanos) {
    return tryAcquire(nowNanos, 1);
  }

  /**
   * Takes {@code count} tokens, all or none: false (and nothing taken) when fewer are left, which
   * is always the case for more than the burst. Always true when the limit is off.
   */
  synchronized boolean tryAcquire(long nowNanos, int count) {
    if (perSecond <= 0 || count <= 0) {
      return true;
    }
    refill(nowNanos);
    if (tokens >= count) {
      tokens -= count;
      refusedInARow = 0;
      return true;
    }
    refusedInARow++;
    return false;
  }

  /**
   * Takes up to {@code count} tokens and returns how many it took (0 when none is left). For work
   * that can be granted in part, such as the binds of a batch.
   */
  synchronized int acquireUpTo(long nowNanos, int count) {
    if (perSecond <= 0 || count <= 0) {
      return Math.max(0, count);
    }
    refill(nowNanos);
    int granted = (int) Math.min(count, Math.max(0, Math.floor(tokens)));
    tokens -= granted;
    return granted;
  }

  /**
   * Charges {@code count} tokens for work that must run anyway (re-checking subscriptions after a
   * new login): the bucket may go into debt, and the client's next actions wait until it is repaid.
   */
  synchronized void charge(long nowNanos, int count) {
    if (perSecond <= 0 || count <= 0) {
      return;
    }
    refill(nowNanos);
    tokens -= count;
  }

  private void refill(long nowNanos) {
    double refill = (nowNanos - lastRefillNanos) / 1e9 * perSecond;
    tokens = Math.min(burst, tokens + refill);
    lastRefillNanos = nowNanos;
  }

  synchronized int refusedInARow() {
    return refusedInARow;
  }
}
