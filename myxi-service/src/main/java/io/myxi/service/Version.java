package io.myxi.service;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version, written into a resource at build time. */
public final class Version {
  private static final String VERSION = read();

  private Version() {}

  public static String get() {
    return VERSION;
  }

  private static String read() {
    try (InputStream in = Version.class.getResourceAsStream("/io/myxi/service/myxi-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
