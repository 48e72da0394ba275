package io.myxi.service;

import org.slf4j.LoggerFactory;

/** The runnable server's logging: its own logback configuration unless the user brought one. */
final class Logging {
  static final String DEFAULT_CONFIGURATION = "io/myxi/service/logback-default.xml";

  private Logging() {}

  /** Before the first logger is made: use our configuration unless one is given or on the class path. */
  static void configureDefaults() {
    ClassLoader loader = Logging.class.getClassLoader();
    if (System.getProperty("logback.configurationFile") == null && loader.getResource("logback.xml") == null && loader.getResource("logback-test.xml") == null) {
      System.setProperty("logback.configurationFile", DEFAULT_CONFIGURATION);
    }
  }

  /** Sets the level of the io.myxi loggers, when logback is the SLF4J backend. */
  static void setLevel(String level) {
    Object logger = LoggerFactory.getLogger("io.myxi");
    try {
      if (logger instanceof ch.qos.logback.classic.Logger logback) {
        logback.setLevel(ch.qos.logback.classic.Level.toLevel(level));
      }
    } catch (NoClassDefFoundError e) {
      // Another backend: it has its own configuration.
    }
  }
}
