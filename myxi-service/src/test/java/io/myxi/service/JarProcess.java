package io.myxi.service;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shaded myxi-server.jar run as a child process, as a user runs it. The child's environment
 * has no MYXI_*, RABBITMQ_URL or PORT of the test run, only what the test gives it. A child still
 * running when the test ends is killed by its pid.
 */
final class JarProcess implements AutoCloseable {
  /** The node's start line: ready, or listening while it waits for RabbitMQ. */
  private static final Pattern READY = Pattern.compile("(?:Ready for connections|Listening) on wss?://[^:]+:(\\d+)/(?:; admin on http://[^:]+:(\\d+)/)?");

  final Process process;
  final Path output;
  int port = -1;
  int adminPort = -1;

  private JarProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("myxi.jar", "target/myxi-server.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " does not exist: run these tests with mvn verify, which packages it first");
    }
    return jar;
  }

  private static ProcessBuilder builder(Map<String, String> environment, Path output, List<String> classpath, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    // Quick start-up on a small machine; the node's behaviour does not depend on the JIT.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    if (classpath == null) {
      command.add("-jar");
      command.add(jar().toString());
    } else {
      command.add("-cp");
      command.add(String.join(java.io.File.pathSeparator, classpath));
      command.add("io.myxi.service.Main");
    }
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("MYXI_") || name.equals("RABBITMQ_URL") || name.equals("PORT"));
    builder.environment().putAll(environment);
    return builder;
  }

  /** Starts {@code start ...} and waits until it logged that it is ready, reading its ports. */
  static JarProcess start(Path dir, Map<String, String> environment, String... args) throws IOException {
    return start(dir, environment, null, args);
  }

  static JarProcess start(Path dir, Map<String, String> environment, List<String> classpath, String... args) throws IOException {
    Path output = Files.createTempFile(dir, "node", ".log");
    JarProcess child = new JarProcess(builder(environment, output, classpath, args).start(), output);
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        if (!child.process.isAlive()) {
          throw new AssertionError("the node exited with " + child.process.exitValue() + ":\n" + child.output());
        }
        Matcher matcher = READY.matcher(child.output());
        if (matcher.find()) {
          child.port = Integer.parseInt(matcher.group(1));
          child.adminPort = matcher.group(2) == null ? -1 : Integer.parseInt(matcher.group(2));
          return true;
        }
        return false;
      });
    } catch (RuntimeException | Error e) {
      child.close();
      throw e;
    }
    return child;
  }

  /** Runs a command to its end (at most 60 s) and returns its exit code and output. */
  static Result run(Path dir, Map<String, String> environment, String... args) throws IOException, InterruptedException {
    Path output = Files.createTempFile(dir, "cli", ".log");
    Path stdout = Files.createTempFile(dir, "cli", ".out");
    ProcessBuilder builder = builder(environment, output, null, args).redirectErrorStream(false).redirectOutput(stdout.toFile()).redirectError(output.toFile());
    Process process = builder.start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("myxi-server " + String.join(" ", args) + " did not finish within 60 s");
      }
      return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8), Files.readString(output, StandardCharsets.UTF_8));
    } finally {
      if (process.isAlive()) {
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  record Result(int exitCode, String stdout, String stderr) {}

  String output() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(output unreadable: " + e + ")";
    }
  }

  /** Sends SIGTERM (what Process.destroy does on Unix) and waits at most {@code timeout} for the exit code. */
  int terminate(Duration timeout) throws InterruptedException {
    ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the node did not exit within " + timeout.toMillis() + " ms of SIGTERM:\n" + output());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
