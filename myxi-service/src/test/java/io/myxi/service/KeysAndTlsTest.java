package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wss:// from PEM files and from PKCS12, and RS256/ES256 tokens checked with a public key file. */
class KeysAndTlsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String STORE_PASSWORD = "changeit-123";

  @TempDir
  static Path dir;
  static Path keystore;
  static Path certPem;
  static Path keyPem;

  private final NodeHarness harness = new NodeHarness();

  @BeforeAll
  static void makeCertificate() throws Exception {
    keystore = dir.resolve("node.p12");
    Process keytool = new ProcessBuilder("keytool", "-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD).redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, STORE_PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) store.getKey("node", STORE_PASSWORD.toCharArray());
    Certificate certificate = store.getCertificate("node");
    certPem = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", certificate.getEncoded()));
    keyPem = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded()));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void wss_from_pem_certificate_and_key() throws Exception {
    StandaloneNode node = harness.start(Map.of("tls.cert_file", certPem.toString(), "tls.key_file", keyPem.toString()));
    assertThat(pingOverWss(node.port())).isEqualTo("Pong");
  }

  @Test
  void wss_from_pkcs12_keystore() throws Exception {
    StandaloneNode node = harness.start(Map.of("tls.keystore_file", keystore.toString(), "tls.keystore_password", STORE_PASSWORD));
    assertThat(pingOverWss(node.port())).isEqualTo("Pong");
  }

  @Test
  void a_pkcs1_key_or_a_wrong_password_is_a_configuration_error_naming_the_key() throws Exception {
    Path pkcs1 = Files.writeString(dir.resolve("rsa.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    Config pem = ConfigLoader.load(null, Map.of(), Map.of("tls.cert_file", certPem.toString(), "tls.key_file", pkcs1.toString()));
    assertThatThrownBy(() -> StandaloneNode.verify(pem)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.cert_file: cannot build the TLS context: " + pkcs1 + ": a RSA PRIVATE KEY (PKCS#1/SEC1) key; convert it to PKCS#8 with: openssl pkcs8");
    Config wrongPassword = ConfigLoader.load(null, Map.of(), Map.of("tls.keystore_file", keystore.toString(), "tls.keystore_password", "wrong"));
    assertThatThrownBy(() -> StandaloneNode.verify(wrongPassword)).isInstanceOf(ConfigException.class).hasMessageStartingWith("tls.keystore_file: cannot build the TLS context: ");
  }

  private static String pingOverWss(int port) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      trust.load(in, STORE_PASSWORD.toCharArray());
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    HttpClient client = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build();
    WebSocket socket = client.newWebSocketBuilder().buildAsync(URI.create("wss://127.0.0.1:" + port + "/"), new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        frames.add(data.toString());
        webSocket.request(1);
        return null;
      }
    }).get(10, TimeUnit.SECONDS);
    try {
      assertThat(MAPPER.readTree(frames.poll(10, TimeUnit.SECONDS)).path("event").asText()).isEqualTo("Welcome");
      socket.sendText("{\"action\":\"Ping\"}", true).get(10, TimeUnit.SECONDS);
      return MAPPER.readTree(frames.poll(10, TimeUnit.SECONDS)).path("event").asText();
    } finally {
      socket.abort();
    }
  }

  @Test
  void es256_tokens_are_checked_with_the_public_key_file() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    Path publicKey = Files.writeString(dir.resolve("es256.pub.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    StandaloneNode node = harness.start(Map.of("auth.secret", "", "auth.algorithm", "ES256", "auth.public_key_file", publicKey.toString(), "exchanges", "widgets=token"));
    var client = harness.connect(node);
    String token = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(60)).withArrayClaim("grants", new String[] {"widgets:*"})
        .sign(Algorithm.ECDSA256(null, (ECPrivateKey) pair.getPrivate()));
    assertThat(client.call("Authenticate", Map.of("token", token)).path("event").asText()).isEqualTo("Authenticated");
    assertThat(client.call("Subscribe", Map.of("exchange", "widgets", "routing_key", "1")).path("event").asText()).isEqualTo("Subscribed");
    String hs256 = NodeHarness.token("alice", "widgets:*");
    JsonNode refused = client.call("Authenticate", Map.of("token", hs256));
    assertThat(refused.path("payload").path("error").asText()).isEqualTo("InvalidAuthentication");
  }

  @Test
  void the_token_command_signs_rs256_with_a_pkcs8_key_that_the_node_verifies() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    Path privateKey = Files.writeString(dir.resolve("rs256.key.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = Cli.run(Map.of(), "token", "--user", "carol", "--grant", "widgets:9*", "--algorithm", "RS256", "--private-key", privateKey.toString(), "--ttl", "5m");
    } finally {
      System.setOut(original);
    }
    assertThat(code).isZero();
    String token = out.toString(StandardCharsets.UTF_8).trim();
    var decoded = JWT.require(Algorithm.RSA256((RSAPublicKey) pair.getPublic(), null)).build().verify(token);
    assertThat(decoded.getSubject()).isEqualTo("carol");
    assertThat(decoded.getClaim("grants").asList(String.class)).containsExactly("widgets:9*");
    assertThat(decoded.getExpiresAtAsInstant()).isBetween(Instant.now().plusSeconds(240), Instant.now().plusSeconds(301));
  }
}
