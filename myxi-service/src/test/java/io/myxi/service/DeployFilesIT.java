package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.MyxiSetup;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of deploy/, run for real: Debian's nginx with deploy/nginx/myxi.conf (own ports, a
 * self-signed certificate, its own pid file and prefix, stopped by PID) terminates TLS and proxies
 * {@code /ws/} to a node; a wss:// client gets an event through it, and the node sees the client's
 * address through {@code trusted_proxies}. The systemd unit passes {@code systemd-analyze verify}.
 * Without nginx or systemd-analyze the checks are skipped locally and fail under CI.
 */
class DeployFilesIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
  private static final Path NGINX_SITE = REPOSITORY.resolve("deploy/nginx/myxi.conf");
  private static final Path SYSTEMD_UNIT = REPOSITORY.resolve("deploy/systemd/myxi.service");
  private static final String STORE_PASSWORD = "changeit-123";
  /** nginx reaches the node from this address; the client connects from 127.0.0.1. */
  private static final String PROXY_ADDRESS = "127.0.0.2";

  @TempDir
  Path dir;

  private final NodeHarness harness = new NodeHarness();
  private Process nginx;

  @AfterEach
  void tearDown() throws Exception {
    if (nginx != null) {
      nginx.destroy(); // SIGTERM to our own master process: nginx's fast shutdown
      if (!nginx.waitFor(20, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
    harness.close();
  }

  private static Path tool(String... candidates) {
    for (String candidate : candidates) {
      Path path = Path.of(candidate);
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    boolean underCi = System.getenv("CI") != null;
    String message = "no " + String.join(" or ", candidates) + " (.ci/run installs it: apt-get install -y nginx)";
    assertThat(underCi).as(message).isFalse();
    assumeThat(false).as(message + ": skipped").isTrue();
    return null;
  }

  /** The node only reports who it thinks the client is. */
  static final class WhereAmISetup implements MyxiSetup {
    @Override
    public void configure(io.myxi.Registrar registrar) {
      registrar.action("WhereAmI", request -> request.reply("YouAre", Map.of("address", request.session().remoteAddress().getHostAddress())));
    }
  }

  @Test
  void nginx_terminates_tls_proxies_ws_to_the_node_and_passes_the_client_address() throws Exception {
    Path nginxBinary = tool("/usr/sbin/nginx", "/usr/bin/nginx");
    StandaloneNode node = harness.start(Map.of("exchanges", "news=public", "trusted_proxies", PROXY_ADDRESS), new WhereAmISetup());

    Path keystore = selfSignedCertificate();
    int nginxPort = freePort();
    Path site = dir.resolve("myxi-site.conf");
    Files.writeString(site, site(node.port(), nginxPort));
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, String.join("\n",
        "worker_processes 1;",
        "daemon off;",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + " info;",
        "events { worker_connections 64; }",
        "http {",
        "  access_log " + dir.resolve("access.log") + ";",
        "  client_body_temp_path " + dir.resolve("client_body") + ";",
        "  proxy_temp_path " + dir.resolve("proxy") + ";",
        "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
        "  scgi_temp_path " + dir.resolve("scgi") + ";",
        "  proxy_bind " + PROXY_ADDRESS + ";   # only in the test: so the node can tell nginx from the client",
        "  include " + site + ";",
        "}",
        ""));
    Process check = new ProcessBuilder(nginxBinary.toString(), "-t", "-p", dir.toString(), "-c", conf.toString()).redirectErrorStream(true).start();
    String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(checkOutput).isZero();

    nginx = new ProcessBuilder(nginxBinary.toString(), "-p", dir.toString(), "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();

    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket socket = connectThroughNginx(keystore, nginxPort, frames);
    try {
      assertThat(frame(frames).path("event").asText()).isEqualTo("Welcome");
      socket.sendText("{\"action\":\"WhereAmI\",\"tag\":1}", true).get(10, TimeUnit.SECONDS);
      // The socket's peer is nginx (127.0.0.2); the node believes its X-Forwarded-For.
      assertThat(frame(frames).path("payload").path("address").asText()).isEqualTo("127.0.0.1");
      socket.sendText("{\"action\":\"Subscribe\",\"tag\":2,\"payload\":{\"exchange\":\"news\",\"routing_key\":\"all\"}}", true).get(10, TimeUnit.SECONDS);
      assertThat(frame(frames).path("event").asText()).isEqualTo("Subscribed");
      HttpResponse<String> published = NodeHarness.post(node, "/publish", "{\"exchange\":\"news\",\"routing_key\":\"all\",\"event\":\"Headline\",\"payload\":{\"text\":\"through nginx\"}}", null);
      assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
      JsonNode event = frame(frames);
      assertThat(event.path("event").asText()).isEqualTo("Headline");
      assertThat(event.path("payload").path("text").asText()).isEqualTo("through nginx");
    } finally {
      socket.abort();
    }
  }

  @Test
  void the_systemd_unit_passes_systemd_analyze_verify() throws Exception {
    Path analyze = tool("/usr/bin/systemd-analyze", "/bin/systemd-analyze");
    Process verify = new ProcessBuilder(analyze.toString(), "verify", SYSTEMD_UNIT.toString()).redirectErrorStream(true).start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(verify.exitValue()).as(output).isZero();
    assertThat(output).as("no warning about the unit").doesNotContain("myxi.service:");
    assertThat(Files.readString(SYSTEMD_UNIT)).contains("ExecStart=/usr/bin/java -Xmx512m -jar /opt/myxi/myxi-server.jar start --config /etc/myxi/myxi.yml");
  }

  /** deploy/nginx/myxi.conf with the test's ports and certificate: each replaced line must be in the file. */
  private String site(int nodePort, int nginxPort) throws IOException {
    String site = Files.readString(NGINX_SITE);
    Map<String, String> replacements = Map.of(
        "server 127.0.0.1:5005;", "server 127.0.0.1:" + nodePort + ";",
        "listen 443 ssl;", "listen 127.0.0.1:" + nginxPort + " ssl;",
        "ssl_certificate     /etc/letsencrypt/live/app.example.com/fullchain.pem;", "ssl_certificate " + dir.resolve("cert.pem") + ";",
        "ssl_certificate_key /etc/letsencrypt/live/app.example.com/privkey.pem;", "ssl_certificate_key " + dir.resolve("key.pem") + ";");
    for (Map.Entry<String, String> replacement : replacements.entrySet()) {
      assertThat(site).as(NGINX_SITE + " has the line the test adapts").contains(replacement.getKey());
      site = site.replace(replacement.getKey(), replacement.getValue());
    }
    return site;
  }

  private Path selfSignedCertificate() throws Exception {
    Path keystore = dir.resolve("proxy.p12");
    Process keytool = new ProcessBuilder("keytool", "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD).redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, STORE_PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) store.getKey("proxy", STORE_PASSWORD.toCharArray());
    Certificate certificate = store.getCertificate("proxy");
    Files.writeString(dir.resolve("cert.pem"), KeysAndTlsTest.pem("CERTIFICATE", certificate.getEncoded()));
    Files.writeString(dir.resolve("key.pem"), KeysAndTlsTest.pem("PRIVATE KEY", key.getEncoded()));
    return keystore;
  }

  /** wss://127.0.0.1:port/ws/, trusting the test's certificate; retried while nginx starts. */
  private static WebSocket connectThroughNginx(Path keystore, int port, BlockingQueue<String> frames) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trust.load(in, STORE_PASSWORD.toCharArray());
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build();
    WebSocket.Listener listener = new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        frames.add(data.toString());
        webSocket.request(1);
        return null;
      }
    };
    return org.awaitility.Awaitility.await("nginx accepts wss connections").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> client.newWebSocketBuilder().buildAsync(URI.create("wss://127.0.0.1:" + port + "/ws/"), listener).get(10, TimeUnit.SECONDS),
            socket -> socket != null);
  }

  private static JsonNode frame(BlockingQueue<String> frames) throws Exception {
    String frame = frames.poll(10, TimeUnit.SECONDS);
    assertThat(frame).as("a frame within 10 s").isNotNull();
    return MAPPER.readTree(frame);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
