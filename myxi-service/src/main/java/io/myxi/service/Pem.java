package io.myxi.service;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files with the JDK alone: certificates, unencrypted PKCS#8 private keys ({@code BEGIN
 * PRIVATE KEY}) and X.509 public keys. Older key formats ({@code BEGIN RSA PRIVATE KEY}) are
 * refused with the openssl command that converts them, rather than parsed by hand.
 */
final class Pem {
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  private Pem() {}

  static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
    byte[] bytes = Files.readAllBytes(file);
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (var certificate : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
        certificates.add((X509Certificate) certificate);
      }
    } catch (CertificateException e) {
      throw new GeneralSecurityException(file + ": not a PEM certificate (" + e.getMessage() + ")", e);
    }
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException(file + ": no certificate in it");
    }
    return certificates;
  }

  static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    for (Block block : blocks(text)) {
      switch (block.type) {
        case "PRIVATE KEY" -> {
          return decode(file, new PKCS8EncodedKeySpec(block.der), true);
        }
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new GeneralSecurityException(file + ": a " + block.type
            + " (PKCS#1/SEC1) key; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pk8.pem");
        case "ENCRYPTED PRIVATE KEY" -> throw new GeneralSecurityException(file + ": an encrypted key; decrypt it with: openssl pkcs8 -in " + file + " -out key.pk8.pem");
        default -> {
          // A certificate in the same file: skip it.
        }
      }
    }
    throw new GeneralSecurityException(file + ": no -----BEGIN PRIVATE KEY----- block in it");
  }

  /** A {@code PUBLIC KEY} block, or the key of the first certificate. */
  static PublicKey publicKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    for (Block block : blocks(text)) {
      if (block.type.equals("PUBLIC KEY")) {
        return decode(file, new X509EncodedKeySpec(block.der), false);
      }
      if (block.type.equals("CERTIFICATE")) {
        return certificates(file).get(0).getPublicKey();
      }
    }
    throw new GeneralSecurityException(file + ": no -----BEGIN PUBLIC KEY----- or CERTIFICATE block in it");
  }

  @SuppressWarnings("unchecked")
  private static <K> K decode(Path file, java.security.spec.KeySpec spec, boolean isPrivate) throws GeneralSecurityException {
    for (String algorithm : List.of("RSA", "EC")) {
      try {
        KeyFactory factory = KeyFactory.getInstance(algorithm);
        return (K) (isPrivate ? factory.generatePrivate(spec) : factory.generatePublic(spec));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm.
      }
    }
    throw new GeneralSecurityException(file + ": neither an RSA nor an EC key");
  }

  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String text) throws GeneralSecurityException {
    List<Block> blocks = new ArrayList<>();
    Matcher matcher = BLOCK.matcher(text);
    while (matcher.find()) {
      try {
        blocks.add(new Block(matcher.group(1), Base64.getMimeDecoder().decode(matcher.group(2))));
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException("bad base64 in a " + matcher.group(1) + " block", e);
      }
    }
    return blocks;
  }
}
