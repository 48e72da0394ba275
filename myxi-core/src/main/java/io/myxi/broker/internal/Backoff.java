package io.myxi.broker.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongUnaryOperator;

/**
 * Capped exponential backoff: the ceiling starts at the initial delay and doubles with each failure
 * up to the maximum. With "equal jitter" half the ceiling is fixed and half random, so nodes that
 * lost the same broker spread their attempts out; without jitter the ceiling itself is the delay.
 *
 * <p>Not thread-safe, by design: each instance belongs to the one thread that counts its failures
 * (the supervisor's recovery thread, or the publisher's publishing thread).
 */
public final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private final LongUnaryOperator randomBelow; // null: no jitter
  private int failures;

  private Backoff(Duration initial, Duration max, LongUnaryOperator randomBelow) {
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(1, max.toMillis());
    this.randomBelow = randomBelow;
  }

  /**
   * Delays spread between half the ceiling and the ceiling.
   *
   * @param randomBelow given a bound, returns a random number in [0, bound); called on the owning
   *     thread, so {@code bound -> ThreadLocalRandom.current().nextLong(bound)} is safe
   */
  public static Backoff withEqualJitter(Duration initial, Duration max, LongUnaryOperator randomBelow) {
    return new Backoff(initial, max, Objects.requireNonNull(randomBelow, "randomBelow"));
  }

  /** Delays equal to the ceiling: initial, twice that, and so on up to max. */
  public static Backoff withoutJitter(Duration initial, Duration max) {
    return new Backoff(initial, max, null);
  }

  /** Counts one more failure and returns how long to wait before the next attempt. */
  public long nextDelayMillis() {
    long ceiling = ceilingMillis(initialMillis, maxMillis, failures);
    if (failures < Integer.MAX_VALUE) {
      failures++;
    }
    if (randomBelow == null) {
      return ceiling;
    }
    long half = ceiling / 2;
    return half + randomBelow.applyAsLong(ceiling - half + 1);
  }

  /** An attempt succeeded: the next failure waits the initial delay again. */
  public void reset() {
    failures = 0;
  }

  /** Failures counted since the last {@link #reset}. */
  public int failures() {
    return failures;
  }

  /** min(max, initial * 2^attempt), without overflowing. */
  static long ceilingMillis(long initialMillis, long maxMillis, int attempt) {
    long ceiling = Math.min(initialMillis, maxMillis);
    for (int i = 0; i < attempt && ceiling < maxMillis; i++) {
      ceiling = ceiling > maxMillis / 2 ? maxMillis : ceiling * 2;
    }
    return ceiling;
  }
}
