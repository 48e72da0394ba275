package io.myxi.service;

import io.myxi.Retention;
import java.time.Duration;
import java.util.Locale;

/**
 * One exchange of the configuration and who may subscribe to it.
 *
 * @param url for {@link Access#HTTP}: the exchange's own URL, or null to use {@code authorization.url}
 * @param timeout for {@link Access#HTTP}: the exchange's own timeout, or null for the default
 * @param cacheTtl for {@link Access#HTTP}: the exchange's own cache time, or null for the default
 * @param history the retention of the exchange's history ({@code history: {max_age, max_bytes}}),
 *     or null when it keeps none
 */
public record ExchangeRule(String name, Access access, String url, Duration timeout, Duration cacheTtl, Retention history) {

  /** A rule without history. */
  public ExchangeRule(String name, Access access, String url, Duration timeout, Duration cacheTtl) {
    this(name, access, url, timeout, cacheTtl, null);
  }

  /** The access rules an exchange of the configuration can name. */
  public enum Access {
    /** Anyone, authenticated or not. */
    PUBLIC,
    /** Any authenticated session. */
    AUTHENTICATED,
    /** Sessions whose token grants the exchange and key ({@code widgets:*}). */
    TOKEN,
    /** The application decides, asked over HTTP. */
    HTTP;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Access parse(String text) {
      for (Access access : values()) {
        if (access.word().equals(text)) {
          return access;
        }
      }
      return null;
    }
  }
}
