package io.myxi.service;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as people write them in configuration: {@code 500MB}, {@code 1GB}, {@code 64MiB} or a
 * plain number of bytes. KB, MB, GB and TB count in thousands; KiB, MiB, GiB and TiB in 1024s.
 */
final class Sizes {
  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?");
  private static final String[] BINARY_UNITS = {"TiB", "GiB", "MiB", "KiB"};

  private Sizes() {}

  /** The number of bytes, or null when {@code text} is not a size (or does not fit a long). */
  static Long parse(String text) {
    Matcher matcher = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      return null;
    }
    long unit = switch (matcher.group(2) == null ? "b" : matcher.group(2)) {
      case "kb" -> 1000L;
      case "mb" -> 1000L * 1000;
      case "gb" -> 1000L * 1000 * 1000;
      case "tb" -> 1000L * 1000 * 1000 * 1000;
      case "kib" -> 1L << 10;
      case "mib" -> 1L << 20;
      case "gib" -> 1L << 30;
      case "tib" -> 1L << 40;
      default -> 1L;
    };
    try {
      return Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
    } catch (ArithmeticException e) {
      return null;
    }
  }

  /** {@code 64MiB} when the size is a whole number of a binary unit, else the bytes: {@code 1000}. */
  static String format(long bytes) {
    if (bytes == 0) {
      return "0";
    }
    for (int i = 0; i < BINARY_UNITS.length; i++) {
      long unit = 1L << (10 * (BINARY_UNITS.length - i));
      if (bytes % unit == 0) {
        return bytes / unit + BINARY_UNITS[i];
      }
    }
    return String.valueOf(bytes);
  }
}
