package io.myxi.service;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** Builds the TLS contexts of the configuration: wss:// for clients and amqps:// to RabbitMQ. */
final class TlsContexts {
  private static final char[] IN_MEMORY_PASSWORD = "myxi".toCharArray();

  private TlsContexts() {}

  /** The WebSocket port's context, or null when the configuration asks for plain ws://. */
  static SSLContext server(Config config) throws ConfigException {
    try {
      if (config.isSet(ConfigKeys.TLS_KEYSTORE_FILE)) {
        char[] password = config.string(ConfigKeys.TLS_KEYSTORE_PASSWORD).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(config.path(ConfigKeys.TLS_KEYSTORE_FILE))) {
          store.load(in, password);
        }
        return context(keyManagers(store, password), null);
      }
      if (config.isSet(ConfigKeys.TLS_CERT_FILE)) {
        KeyStore store = pemKeyStore(config.path(ConfigKeys.TLS_CERT_FILE), config.path(ConfigKeys.TLS_KEY_FILE));
        return context(keyManagers(store, IN_MEMORY_PASSWORD), null);
      }
      return null;
    } catch (IOException | GeneralSecurityException e) {
      String key = config.isSet(ConfigKeys.TLS_KEYSTORE_FILE) ? ConfigKeys.TLS_KEYSTORE_FILE : ConfigKeys.TLS_CERT_FILE;
      throw new ConfigException(key + ": cannot build the TLS context: " + message(e));
    }
  }

  /** The amqps:// context: the CA file (or the JVM's trust store) and an optional client key. */
  static SSLContext broker(Config config) throws ConfigException {
    try {
      TrustManager[] trust = null;
      if (config.isSet(ConfigKeys.BROKER_CA_FILE)) {
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        int index = 0;
        for (X509Certificate certificate : Pem.certificates(config.path(ConfigKeys.BROKER_CA_FILE))) {
          trustStore.setCertificateEntry("ca-" + index++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trustStore);
        trust = factory.getTrustManagers();
      }
      KeyManager[] keys = null;
      if (config.isSet(ConfigKeys.BROKER_CLIENT_CERT_FILE)) {
        KeyStore store = pemKeyStore(config.path(ConfigKeys.BROKER_CLIENT_CERT_FILE), config.path(ConfigKeys.BROKER_CLIENT_KEY_FILE));
        keys = keyManagers(store, IN_MEMORY_PASSWORD);
      }
      return context(keys, trust);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(ConfigKeys.BROKER_CA_FILE + ": cannot build the amqps TLS context: " + message(e));
    }
  }

  private static KeyStore pemKeyStore(Path certificateFile, Path keyFile) throws IOException, GeneralSecurityException {
    List<X509Certificate> chain = Pem.certificates(certificateFile);
    PrivateKey key = Pem.privateKey(keyFile);
    if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
      throw new GeneralSecurityException("the key in " + keyFile + " (" + key.getAlgorithm() + ") does not belong to the certificate in " + certificateFile);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("myxi", key, IN_MEMORY_PASSWORD, chain.toArray(new X509Certificate[0]));
    return store;
  }

  private static KeyManager[] keyManagers(KeyStore store, char[] password) throws GeneralSecurityException {
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    return factory.getKeyManagers();
  }

  private static SSLContext context(KeyManager[] keys, TrustManager[] trust) throws GeneralSecurityException {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys, trust, null);
    return context;
  }

  private static String message(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
