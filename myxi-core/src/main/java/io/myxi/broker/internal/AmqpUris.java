package io.myxi.broker.internal;

/** AMQP URIs made safe for logs: the password never shows, whatever characters it holds. */
public final class AmqpUris {
  private AmqpUris() {}

  /** The URI without its password. */
  public static String redact(String uri) {
    int[] userInfo = userInfoRange(uri);
    if (userInfo == null) {
      return uri;
    }
    String info = uri.substring(userInfo[0], userInfo[1]);
    int colon = info.indexOf(':');
    if (colon < 0) {
      return uri;
    }
    return uri.substring(0, userInfo[0]) + info.substring(0, colon) + ":***" + uri.substring(userInfo[1]);
  }

  /** The password part of a URI's user info, or "". */
  public static String password(String uri) {
    int[] userInfo = userInfoRange(uri);
    if (userInfo == null) {
      return "";
    }
    String info = uri.substring(userInfo[0], userInfo[1]);
    int colon = info.indexOf(':');
    return colon < 0 ? "" : info.substring(colon + 1);
  }

  /**
   * Where the user info of {@code scheme://user:password@host/...} is, found without a URI parser:
   * a password with characters a parser refuses must be hidden all the same. The user info ends at
   * the last '@' of the authority.
   */
  private static int[] userInfoRange(String uri) {
    int start = uri.indexOf("://");
    if (start < 0) {
      return null;
    }
    start += 3;
    int end = uri.length();
    for (char terminator : new char[] {'/', '?', '#'}) {
      int at = uri.indexOf(terminator, start);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    int at = uri.lastIndexOf('@', end - 1);
    return at < start ? null : new int[] {start, at};
  }
}
