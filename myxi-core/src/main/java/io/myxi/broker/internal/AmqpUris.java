package io.myxi.broker.internal;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * AMQP URIs made safe for logs and checked before use: the password never shows, whatever
 * characters it holds, and a URI whose host does not parse is refused rather than left to the
 * client library, which would quietly connect to localhost as guest.
 */
public final class AmqpUris {
  /**
   * Why a URI with user info that does not parse is refused. It does not quote the URI: the part
   * that broke it is usually the password.
   */
  public static final String PERCENT_ENCODE_HINT = "the host does not parse: percent-encode '@', ':', '/', '#', '?' and '%' in the user name and"
      + " password (%40, %3A, %2F, %23, %3F, %25)";

  private AmqpUris() {}

  /**
   * The URI without its user info's secret. Conservative: everything between {@code ://} and the
   * last {@code @} of the whole URI is hidden (a password may hold '/', '?' or '#', which would
   * end a parser's authority early), keeping only a user name that cannot be part of a password.
   */
  public static String redact(String uri) {
    int start = uri.indexOf("://");
    if (start < 0) {
      return uri;
    }
    start += 3;
    int at = uri.lastIndexOf('@');
    if (at < start) {
      return uri;
    }
    String info = uri.substring(start, at);
    int colon = info.indexOf(':');
    String user = colon < 0 ? info : info.substring(0, colon);
    boolean plainUser = !user.isEmpty() && user.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-._~%".indexOf(c) >= 0);
    if (colon < 0 && plainUser) {
      return uri; // No password: nothing to hide.
    }
    return uri.substring(0, start) + (plainUser ? user + ":***" : "***") + uri.substring(at);
  }

  /** The password part of a URI's user info (up to the last '@'), or "". */
  public static String password(String uri) {
    int start = uri.indexOf("://");
    if (start < 0) {
      return "";
    }
    start += 3;
    int at = uri.lastIndexOf('@');
    if (at < start) {
      return "";
    }
    String info = uri.substring(start, at);
    int colon = info.indexOf(':');
    return colon < 0 ? "" : info.substring(colon + 1);
  }

  /**
   * Null when the URI's authority parses to a host (and every '@' is inside it), else why not, in
   * words that never quote the URI. Only checks what would make a client connect elsewhere than
   * meant; the scheme and the rest are the client library's to check.
   */
  public static String authorityProblem(String uri) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      return uri.indexOf('@') >= 0 ? PERCENT_ENCODE_HINT : null; // The client library says what else is wrong.
    }
    if (parsed.getScheme() == null || parsed.getRawAuthority() == null) {
      return null;
    }
    if (parsed.getHost() == null) {
      return uri.indexOf('@') >= 0 ? PERCENT_ENCODE_HINT : "the host does not parse";
    }
    String rawUserInfo = parsed.getRawUserInfo();
    int atCount = (int) uri.chars().filter(c -> c == '@').count();
    if (atCount > (rawUserInfo == null ? 0 : 1)) {
      return PERCENT_ENCODE_HINT; // An '@' in the path, query or fragment: a password ended early.
    }
    return null;
  }
}
