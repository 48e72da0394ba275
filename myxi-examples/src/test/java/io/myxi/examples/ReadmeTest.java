package io.myxi.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's embedding section is what the readme-embedding IT compiles: the same Java file,
 * and Maven coordinates with this build's version.
 */
class ReadmeTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path SNIPPET_IN_IT = Path.of("src", "it", "readme-embedding", "src", "main", "java", "ChatNode.java");

  private static String embeddingSection() throws IOException {
    String readme = Files.readString(README);
    int start = readme.indexOf("## Embedding\n");
    assertThat(start).as("README has an Embedding section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return readme.substring(start, end);
  }

  private static String block(String section, String language) {
    Matcher block = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(section);
    assertThat(block.find()).as("a ```" + language + " block").isTrue();
    return block.group(1);
  }

  @Test
  void the_embedding_snippet_is_the_file_the_it_compiles() throws IOException {
    assertThat(block(embeddingSection(), "java")).isEqualTo(Files.readString(SNIPPET_IN_IT));
  }

  @Test
  void the_maven_coordinates_name_the_bom_of_this_version_and_myxi_server() throws IOException {
    String version = System.getProperty("myxi.version");
    assertThat(version).as("system property myxi.version (set by surefire)").isNotBlank();
    assertThat(block(embeddingSection(), "xml")).contains("<artifactId>myxi-bom</artifactId>", "<version>" + version + "</version>",
        "<scope>import</scope>", "<artifactId>myxi-server</artifactId>");
  }
}
