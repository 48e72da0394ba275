package io.myxi.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The floor plan of the library, checked on its sources: the engine knows the socket library only
 * through the transport room, and the library reads no environment variable.
 */
class LibraryHygieneTest {
  private static final Path SOURCES = Path.of("src/main/java/io/myxi/server");

  @Test
  void only_the_transport_package_imports_java_websocket() throws IOException {
    List<Path> offenders = libraryFiles()
        .filter(file -> !file.startsWith(SOURCES.resolve("internal/transport")))
        .filter(file -> contains(file, "org.java_websocket"))
        .toList();
    assertThat(offenders).as("files outside internal/transport that use Java-WebSocket").isEmpty();
  }

  @Test
  void the_transport_does_not_depend_on_the_engine() throws IOException {
    List<Path> offenders = libraryFiles()
        .filter(file -> file.startsWith(SOURCES.resolve("internal/transport")))
        .filter(file -> contains(file, "import io.myxi.server.internal.") && !contains(file, "import io.myxi.server.internal.transport."))
        .toList();
    assertThat(offenders).isEmpty();
  }

  @Test
  void the_library_reads_no_environment_variable() throws IOException {
    List<Path> offenders = libraryFiles().filter(file -> contains(file, "getenv")).toList();
    assertThat(offenders).isEmpty();
  }

  /** The library's sources (the service lives in its own module, myxi-service). */
  private static Stream<Path> libraryFiles() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(file -> file.toString().endsWith(".java"))
          .toList();
    }
    assertThat(files).isNotEmpty();
    return files.stream();
  }

  private static boolean contains(Path file, String text) {
    try {
      return Files.readString(file).contains(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
