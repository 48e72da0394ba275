package io.myxi.service;

import java.util.ArrayList;
import java.util.List;

/**
 * The grants of a session token: {@code exchange:pattern} strings such as {@code widgets:*} or
 * {@code users:alice}. The exchange is everything before the first colon; {@code *} in either part
 * matches any run of characters, everything else matches itself.
 */
final class Grants {
  private final List<String[]> grants;

  private Grants(List<String[]> grants) {
    this.grants = grants;
  }

  static final Grants NONE = new Grants(List.of());

  /** Parses the claim's value; null when it is not a list of {@code exchange:pattern} strings. */
  static Grants parse(Object claim) {
    if (claim == null) {
      return NONE;
    }
    if (!(claim instanceof List<?> list)) {
      return null;
    }
    List<String[]> parsed = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof String text) || text.indexOf(':') <= 0) {
        return null;
      }
      int colon = text.indexOf(':');
      parsed.add(new String[] {text.substring(0, colon), text.substring(colon + 1)});
    }
    return new Grants(List.copyOf(parsed));
  }

  boolean allows(String exchange, String routingKey) {
    for (String[] grant : grants) {
      if (glob(grant[0], exchange) && glob(grant[1], routingKey)) {
        return true;
      }
    }
    return false;
  }

  int size() {
    return grants.size();
  }

  /** Whether {@code text} matches {@code pattern}, where {@code *} matches any run of characters. */
  static boolean glob(String pattern, String text) {
    int p = 0;
    int t = 0;
    int star = -1;
    int resume = 0;
    while (t < text.length()) {
      if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        resume = t;
      } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
        p++;
        t++;
      } else if (star >= 0) {
        p = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }
}
