package io.myxi.maven;

import io.myxi.MyxiSetup;
import io.myxi.service.Config;
import io.myxi.service.ConfigException;
import io.myxi.service.ConfigKeys;
import io.myxi.service.ConfigLoader;
import io.myxi.service.StandaloneNode;
import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.maven.artifact.DependencyResolutionRequiredException;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Execute;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * Runs a Myxi node in the foreground with the current project's classes: the project is compiled
 * first, its {@link MyxiSetup} plug-ins ({@code META-INF/services/io.myxi.MyxiSetup}) register their
 * actions and exchanges, and the node is configured like {@code myxi-server.jar start}: an
 * optional YAML file, then {@code MYXI_*} environment variables, then the {@code settings} of the
 * plugin's configuration, then {@code -Dmyxi.<key>=value} on the command line. Ctrl-C (SIGINT) or
 * SIGTERM drains the node and the build ends normally.
 */
@Mojo(name = "run", requiresDependencyResolution = ResolutionScope.RUNTIME, threadSafe = true)
@Execute(phase = LifecyclePhase.PROCESS_CLASSES)
public final class RunMojo extends AbstractMojo {
  /** User properties with this prefix set configuration keys: {@code -Dmyxi.port=9000}. */
  static final String PROPERTY_PREFIX = "myxi.";
  /** Properties of the plugin itself, not configuration keys. */
  static final List<String> OWN_PROPERTIES = List.of("myxi.config", "myxi.skip");

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  MavenSession session;

  /** The YAML configuration file (as for {@code myxi-server.jar start --config}). Default: env MYXI_CONFIG, else none. */
  @Parameter(property = "myxi.config")
  File configFile;

  /** Configuration keys and their values, such as {@code <port>9000</port>} or {@code <broker.url>amqp://...</broker.url>}. */
  @Parameter
  Map<String, String> settings = new LinkedHashMap<>();

  /** Does nothing when true. */
  @Parameter(property = "myxi.skip", defaultValue = "false")
  boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("myxi:run skipped (myxi.skip)");
      return;
    }
    Config config = loadConfig(configFile == null ? null : configFile.toPath(), settings, session.getUserProperties(), System.getenv(), project.getBasedir().toPath());
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader projectLoader = projectClassLoader()) {
      Thread.currentThread().setContextClassLoader(projectLoader);
      List<MyxiSetup> setups = StandaloneNode.discoverSetups(projectLoader);
      if (setups.isEmpty()) {
        getLog().warn("No io.myxi.MyxiSetup in " + project.getArtifactId() + " (META-INF/services/io.myxi.MyxiSetup): the node has only the configured exchanges");
      }
      run(new StandaloneNode(config, setups), config);
    } catch (IOException e) {
      throw new MojoExecutionException("could not close the project's class loader: " + e.getMessage(), e);
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  private void run(StandaloneNode node, Config config) throws MojoExecutionException, MojoFailureException {
    CountDownLatch stopRequested = new CountDownLatch(1);
    Thread hook = new Thread(node::stop, "myxi-shutdown");
    try (TerminationSignals signals = TerminationSignals.install(stopRequested::countDown)) {
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        node.start();
      } catch (ConfigException e) {
        throw new MojoFailureException("invalid Myxi configuration:\n  - " + String.join("\n  - ", e.problems()));
      } catch (IOException | RuntimeException e) {
        throw new MojoExecutionException("the Myxi node could not start: " + e.getMessage(), e);
      }
      boolean tls = config.isSet(ConfigKeys.TLS_CERT_FILE) || config.isSet(ConfigKeys.TLS_KEYSTORE_FILE);
      getLog().info("Myxi node ready: " + (tls ? "wss" : "ws") + "://" + config.string(ConfigKeys.BIND_ADDRESS) + ":" + node.port() + "/"
          + (node.adminPort() < 0 ? "" : " admin http://" + config.string(ConfigKeys.ADMIN_BIND_ADDRESS) + ":" + node.adminPort() + "/ (dashboard: /dashboard)")
          + (signals.installed() ? "; Ctrl-C drains and stops" : ""));
      try {
        stopRequested.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      getLog().info("Stop requested: draining the Myxi node");
      node.stop();
      getLog().info("Myxi node stopped");
    } finally {
      node.stop();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The JVM is exiting: the hook runs node.stop(), which is a no-op by now.
      }
    }
  }

  /**
   * The node's configuration: the file (else env MYXI_CONFIG; relative to the project), the
   * environment, {@code settings}, then {@code -Dmyxi.<key>}, each stronger than the one before.
   */
  static Config loadConfig(Path configFile, Map<String, String> settings, Properties userProperties, Map<String, String> environment, Path basedir)
      throws MojoFailureException {
    Map<String, String> flags = new LinkedHashMap<>(settings == null ? Map.of() : settings);
    flags.putAll(commandLineSettings(userProperties));
    Path file = configFile;
    if (file == null && environment.get(ConfigLoader.CONFIG_ENV) != null && !environment.get(ConfigLoader.CONFIG_ENV).isBlank()) {
      file = Path.of(environment.get(ConfigLoader.CONFIG_ENV));
    }
    if (file != null && !file.isAbsolute()) {
      file = basedir.resolve(file);
    }
    try {
      return ConfigLoader.load(file, environment, flags);
    } catch (ConfigException e) {
      throw new MojoFailureException("invalid Myxi configuration:\n  - " + String.join("\n  - ", e.problems()));
    }
  }

  /** {@code -Dmyxi.broker.url=...} as {@code broker.url}; unknown keys are refused by the loader by name. */
  static Map<String, String> commandLineSettings(Properties userProperties) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String name : userProperties.stringPropertyNames()) {
      if (name.startsWith(PROPERTY_PREFIX) && !OWN_PROPERTIES.contains(name)) {
        flags.put(name.substring(PROPERTY_PREFIX.length()), userProperties.getProperty(name));
      }
    }
    return flags;
  }

  /**
   * The project's output directory and runtime dependencies, over the plugin's own class loader:
   * Myxi's classes (and those it depends on) come from the plugin, so the project's setups implement
   * the very {@code MyxiSetup} the node loads them with.
   */
  private URLClassLoader projectClassLoader() throws MojoExecutionException {
    List<URL> urls = new ArrayList<>();
    try {
      for (String element : project.getRuntimeClasspathElements()) {
        urls.add(new File(element).toURI().toURL());
      }
    } catch (DependencyResolutionRequiredException | MalformedURLException e) {
      throw new MojoExecutionException("could not build the project's class path: " + e.getMessage(), e);
    }
    getLog().debug("Project class path: " + urls);
    return new URLClassLoader("myxi-project", urls.toArray(new URL[0]), RunMojo.class.getClassLoader());
  }
}
