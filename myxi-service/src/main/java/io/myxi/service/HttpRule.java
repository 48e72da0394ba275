package io.myxi.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.Authorizer;
import io.myxi.Session;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code http} access rule: asks the application. POSTs {@code {user, claims, exchange,
 * routing_key, session_id}} to its URL; a 2xx answer allows, anything else, an error or no answer
 * within the timeout (the whole call: headers and body) denies. Answers (not failures) may be
 * reused for a while, for the same user, claims, exchange and routing key.
 *
 * <p>Runs where every authorizer runs: on a Myxi worker thread, serialized per session, so a slow
 * application delays only the session that is waiting for it.
 */
final class HttpRule implements Authorizer {
  private static final Logger log = LoggerFactory.getLogger(HttpRule.class);
  /** Past this many cached answers, expired ones are dropped, and all of them if that is not enough. */
  private static final int MAX_CACHED = 10_000;
  private static final int MAX_LOGGED_CHARS = 200;

  private final String exchange;
  private final URI url;
  /** The URL as logs show it: scheme://host:port/path, no user info, query or fragment. */
  private final String urlForLogs;
  private final Duration timeout;
  private final long cacheNanos;
  private final String bearerToken;
  private final HttpClient client;
  private final ObjectMapper mapper;
  /** Claims hashed in key order, so equal claims give equal hashes whatever map they came in. */
  private final ObjectWriter claimsWriter;
  private final Map<CacheKey, Answer> cache = new ConcurrentHashMap<>();

  private record Answer(boolean allowed, long expiresAtNanos) {}

  /**
   * What an answer depends on: everything the application is sent but the session id. A record, so
   * no separator inside a user or routing key can make two different questions look alike.
   *
   * @param user the session's user, or null
   * @param claimsHash SHA-256 of the claims sent, as hex
   */
  record CacheKey(String user, String claimsHash, String exchange, String routingKey) {}

  HttpRule(String exchange, URI url, Duration timeout, Duration cacheTtl, String bearerToken, HttpClient client, ObjectMapper mapper) {
    this.exchange = exchange;
    this.url = url;
    this.urlForLogs = Config.Redaction.httpUrl(url.toString());
    this.timeout = timeout;
    this.cacheNanos = cacheTtl.toNanos();
    this.bearerToken = bearerToken;
    this.client = client;
    this.mapper = mapper;
    this.claimsWriter = mapper.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  }

  @Override
  public boolean authorize(Session session, String routingKey) throws Exception {
    String user = session.auth().map(String::valueOf).orElse(null);
    Object claims = session.attribute(TokenAuth.CLAIMS_ATTRIBUTE);
    CacheKey cacheKey = new CacheKey(user, claimsHash(claims), exchange, routingKey);
    if (cacheNanos > 0) {
      Answer cached = cache.get(cacheKey);
      if (cached != null && cached.expiresAtNanos - System.nanoTime() > 0) {
        return cached.allowed;
      }
    }
    ObjectNode body = mapper.createObjectNode();
    body.put("user", user);
    body.set("claims", claims == null ? mapper.createObjectNode() : mapper.valueToTree(claims));
    body.put("exchange", exchange);
    body.put("routing_key", routingKey);
    body.put("session_id", session.id());
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body)));
    if (bearerToken != null) {
      request.header("Authorization", "Bearer " + bearerToken);
    }
    // The request's own timeout covers only the response headers; an application that trickles
    // its body would hold the session's lane for as long as it likes. The deadline covers it all.
    CompletableFuture<HttpResponse<Void>> call = client.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding());
    int status;
    try {
      status = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS).statusCode();
    } catch (TimeoutException e) {
      call.cancel(true);
      log.warn("Authorization of {} / {} for session {}: no complete answer from {} within {} ms; denied", exchange, printable(routingKey), session.id(), urlForLogs, timeout.toMillis());
      return false;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof HttpTimeoutException) {
        log.warn("Authorization of {} / {} for session {}: no answer from {} within {} ms; denied", exchange, printable(routingKey), session.id(), urlForLogs, timeout.toMillis());
      } else {
        log.warn("Authorization of {} / {} for session {}: {} failed ({}); denied", exchange, printable(routingKey), session.id(), urlForLogs, cause.getClass().getSimpleName());
      }
      return false;
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    }
    boolean allowed = status >= 200 && status < 300;
    if (cacheNanos > 0) {
      if (cache.size() >= MAX_CACHED) {
        long now = System.nanoTime();
        cache.values().removeIf(answer -> answer.expiresAtNanos - now <= 0);
        if (cache.size() >= MAX_CACHED) {
          cache.clear();
        }
      }
      cache.put(cacheKey, new Answer(allowed, System.nanoTime() + cacheNanos));
    }
    return allowed;
  }

  private String claimsHash(Object claims) throws JsonProcessingException {
    if (claims == null) {
      return "";
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(claimsWriter.writeValueAsBytes(claims)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Routing keys are client input: no control characters or huge values in the log. */
  private static String printable(String text) {
    String cut = text.length() > MAX_LOGGED_CHARS ? text.substring(0, MAX_LOGGED_CHARS) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
