package io.myxi.server.internal;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random ids (sessions, nodes, error ids) and client strings made safe for the log. */
final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_LOGGED_CHARS = 200;

  private Ids() {}

  static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /** Client input for a log line: control characters replaced, long values cut. */
  static String printable(String text) {
    if (text == null) {
      return null;
    }
    String cut = text.length() > MAX_LOGGED_CHARS ? text.substring(0, MAX_LOGGED_CHARS) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
