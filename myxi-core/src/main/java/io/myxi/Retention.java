package io.myxi;

import java.time.Duration;
import java.util.Objects;

/**
 * How long an exchange with history keeps its events: a maximum age, a maximum size, or both
 * (whichever is reached first). Events are stored in a RabbitMQ stream, which drops whole segments,
 * so a little more than the limit may be kept. Immutable.
 *
 * <pre>{@code Retention.maxAge(Duration.ofHours(1)).withMaxBytes(1L << 30)}</pre>
 */
public final class Retention {
  private final Duration maxAge; // null: no age limit
  private final long maxBytes; // 0: no size limit

  private Retention(Duration maxAge, long maxBytes) {
    if (maxAge == null && maxBytes <= 0) {
      throw new IllegalArgumentException("a retention needs a maximum age or a maximum size");
    }
    this.maxAge = maxAge;
    this.maxBytes = maxBytes;
  }

  /** Keeps events at most {@code age} (whole seconds, at least one). */
  public static Retention maxAge(Duration age) {
    return new Retention(checkAge(age), 0);
  }

  /** Keeps at most about {@code bytes} of events. */
  public static Retention maxBytes(long bytes) {
    return new Retention(null, checkBytes(bytes));
  }

  public Retention withMaxAge(Duration age) {
    return new Retention(checkAge(age), maxBytes);
  }

  public Retention withMaxBytes(long bytes) {
    return new Retention(maxAge, checkBytes(bytes));
  }

  /** The age limit, or null if there is none. */
  public Duration maxAge() {
    return maxAge;
  }

  /** The size limit in bytes, or 0 if there is none. */
  public long maxBytes() {
    return maxBytes;
  }

  private static Duration checkAge(Duration age) {
    Objects.requireNonNull(age, "age == null");
    if (age.getSeconds() < 1) {
      throw new IllegalArgumentException("maxAge must be at least one second: " + age);
    }
    return Duration.ofSeconds(age.getSeconds());
  }

  private static long checkBytes(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + bytes);
    }
    return bytes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Retention that && Objects.equals(maxAge, that.maxAge) && maxBytes == that.maxBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxAge, maxBytes);
  }

  @Override
  public String toString() {
    return "Retention[" + (maxAge == null ? "" : "maxAge=" + maxAge) + (maxAge != null && maxBytes > 0 ? ", " : "") + (maxBytes > 0 ? "maxBytes=" + maxBytes : "") + "]";
  }
}
