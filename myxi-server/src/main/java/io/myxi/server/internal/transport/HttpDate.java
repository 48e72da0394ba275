package io.myxi.server.internal.transport;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The value of a handshake response's {@code Date} header ("Sat, 5 Dec 2026 10:30:00 GMT", the
 * form Java-WebSocket writes), formatted at most once a second and shared by every connection.
 *
 * <p>Why: the library builds a {@code Calendar} and a {@code SimpleDateFormat} for every handshake.
 * In a reconnect storm on a freshly started node that was measured at about 700 ms of CPU for 2,000
 * handshakes (interpreted code and the JIT compiling {@code SimpleDateFormat}), on the cores the
 * storm needs. Thread-safe: a race formats the same second twice, harmlessly.
 */
final class HttpDate {
  private final Clock clock;
  private volatile Formatted last;

  private record Formatted(long epochSecond, String text) {}

  HttpDate(Clock clock) {
    this.clock = clock;
  }

  String now() {
    long second = Math.floorDiv(clock.millis(), 1000L);
    Formatted formatted = last;
    if (formatted == null || formatted.epochSecond() != second) {
      formatted = new Formatted(second, DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochSecond(second).atOffset(ZoneOffset.UTC)));
      last = formatted;
    }
    return formatted.text();
  }
}
