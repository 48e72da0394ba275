package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The built jars, as the reactor wrote them (paths from failsafe's system properties): the library
 * jars hold no class of the service nor its dependencies, name their automatic module, and the
 * runnable jar holds the service with everything it needs.
 */
class LibraryJarsIT {
  private static final List<String> SERVICE_ONLY = List.of("io/myxi/service/", "io/myxi/server/internal/standalone/",
      "io/myxi/server/Main.class", "picocli/", "ch/qos/logback/", "com/auth0/", "io/micrometer/", "com/fasterxml/jackson/dataformat/yaml/", "logback");

  @Test
  void the_core_library_jar_holds_no_service_class() throws IOException {
    assertLibrary("myxi.core.jar", "io/myxi/Myxi.class", "io.myxi.core");
  }

  @Test
  void the_server_library_jar_holds_no_service_class() throws IOException {
    assertLibrary("myxi.server.jar", "io/myxi/server/MyxiServer.class", "io.myxi.server");
  }

  @Test
  void the_runnable_jar_holds_the_service_and_its_dependencies() throws IOException {
    try (JarFile jar = open("myxi.jar")) {
      assertThat(names(jar)).contains("io/myxi/service/Main.class", "io/myxi/server/MyxiServer.class", "io/myxi/Myxi.class",
          "picocli/CommandLine.class", "ch/qos/logback/classic/Logger.class", "com/auth0/jwt/JWT.class",
          "io/micrometer/prometheusmetrics/PrometheusMeterRegistry.class",
          "com/fasterxml/jackson/dataformat/yaml/YAMLFactory.class", "com/rabbitmq/client/Connection.class",
          "org/java_websocket/server/WebSocketServer.class", "io/myxi/service/logback-default.xml",
          "io/myxi/service/myxi-version.properties", "io/myxi/client/myxi.global.js", "io/myxi/server/dashboard.html");
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.myxi.service.Main");
    }
  }

  @Test
  void the_runnable_jar_carries_one_apache_license_the_merged_notices_and_every_bundled_library_license() throws IOException {
    try (JarFile jar = open("myxi.jar")) {
      assertThat(text(jar, "META-INF/LICENSE")).contains("Apache License", "Version 2.0, January 2004");
      assertThat(names(jar)).doesNotContain("META-INF/LICENSE.txt", "META-INF/LICENSE.md")
          .contains("META-INF/FastDoubleParser-LICENSE", "META-INF/Schubfach-LICENSE");
      assertThat(text(jar, "META-INF/NOTICE")).contains("Myxi for Java", "Jackson");
      String thirdParty = text(jar, "META-INF/THIRD-PARTY.txt");
      // Every bundled library that left its Maven coordinates in the jar is named with its license.
      List<String> bundled = names(jar).stream()
          .filter(name -> name.startsWith("META-INF/maven/") && name.endsWith("/pom.properties"))
          .map(name -> name.split("/"))
          .filter(parts -> !parts[2].equals("io.myxi"))
          .map(parts -> parts[3])
          .toList();
      assertThat(bundled).isNotEmpty();
      for (String artifactId : bundled) {
        assertThat(thirdParty).as("THIRD-PARTY.txt names " + artifactId).contains(artifactId);
      }
      // The ones built without Maven metadata, found by their packages.
      assertThat(thirdParty).contains("picocli", "java-jwt", "micrometer-core", "micrometer-registry-prometheus");
    }
  }

  @Test
  void no_netty_is_bundled_the_amqp_client_uses_its_socket_transport() throws IOException {
    try (JarFile jar = open("myxi.jar")) {
      assertThat(names(jar)).noneMatch(name -> name.startsWith("io/netty/"));
    }
  }

  @Test
  void the_library_modules_publish_sources_and_javadoc_jars() throws IOException {
    for (String property : List.of("myxi.core.jar", "myxi.server.jar")) {
      String jar = System.getProperty(property);
      for (String classifier : List.of("sources", "javadoc")) {
        Path attached = Path.of(jar.replace(".jar", "-" + classifier + ".jar"));
        assertThat(attached).as(classifier + " jar of " + jar).isRegularFile();
        try (JarFile attachedJar = new JarFile(attached.toFile())) {
          assertThat(names(attachedJar)).contains(classifier.equals("sources") ? "io/myxi/" + (property.contains("core") ? "Myxi.java" : "server/MyxiServer.java")
              : "index.html");
        }
      }
    }
  }

  private static String text(JarFile jar, String name) throws IOException {
    ZipEntry entry = jar.getEntry(name);
    assertThat(entry).as(name + " in " + jar.getName()).isNotNull();
    try (var in = jar.getInputStream(entry)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static void assertLibrary(String property, String expectedClass, String moduleName) throws IOException {
    try (JarFile jar = open(property)) {
      List<String> names = names(jar);
      assertThat(names).contains(expectedClass);
      for (String forbidden : SERVICE_ONLY) {
        assertThat(names).as(property + " must not contain " + forbidden).noneMatch(name -> name.contains(forbidden));
      }
      assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).isEqualTo(moduleName);
    }
  }

  private static JarFile open(String property) throws IOException {
    String path = System.getProperty(property);
    assertThat(path).as("system property " + property + " (set by failsafe)").isNotNull();
    assertThat(Files.isRegularFile(Path.of(path))).as(path + " exists: run after package").isTrue();
    return new JarFile(path);
  }

  private static List<String> names(JarFile jar) {
    return Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
  }
}
