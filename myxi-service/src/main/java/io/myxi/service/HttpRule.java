package io.myxi.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.Authorizer;
import io.myxi.Session;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code http} access rule: asks the application. POSTs {@code {user, claims, exchange,
 * routing_key, session_id}} to its URL; a 2xx answer allows, anything else, an error or no answer
 * within the timeout denies. Answers (not failures) may be reused for a while.
 *
 * <p>Runs where every authorizer runs: on a Myxi worker thread, serialized per session, so a slow
 * application delays only the session that is waiting for it.
 */
final class HttpRule implements Authorizer {
  private static final Logger log = LoggerFactory.getLogger(HttpRule.class);
  /** Past this many cached answers, expired ones are dropped, and all of them if that is not enough. */
  private static final int MAX_CACHED = 10_000;

  private final String exchange;
  private final URI url;
  private final Duration timeout;
  private final long cacheNanos;
  private final String bearerToken;
  private final HttpClient client;
  private final ObjectMapper mapper;
  private final Map<String, Answer> cache = new ConcurrentHashMap<>();

  private record Answer(boolean allowed, long expiresAtNanos) {}

  HttpRule(String exchange, URI url, Duration timeout, Duration cacheTtl, String bearerToken, HttpClient client, ObjectMapper mapper) {
    this.exchange = exchange;
    this.url = url;
    this.timeout = timeout;
    this.cacheNanos = cacheTtl.toNanos();
    this.bearerToken = bearerToken;
    this.client = client;
    this.mapper = mapper;
  }

  @Override
  public boolean authorize(Session session, String routingKey) throws Exception {
    String user = session.auth().map(String::valueOf).orElse(null);
    String cacheKey = (user == null ? "\u0001" : user) + '\u0000' + routingKey;
    if (cacheNanos > 0) {
      Answer cached = cache.get(cacheKey);
      if (cached != null && cached.expiresAtNanos - System.nanoTime() > 0) {
        return cached.allowed;
      }
    }
    ObjectNode body = mapper.createObjectNode();
    body.put("user", user);
    Object claims = session.attribute(TokenAuth.CLAIMS_ATTRIBUTE);
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
    int status;
    try {
      status = client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (HttpTimeoutException e) {
      log.warn("Authorization of {} / {} for session {}: no answer from {} within {} ms; denied", exchange, routingKey, session.id(), url, timeout.toMillis());
      return false;
    } catch (IOException e) {
      log.warn("Authorization of {} / {} for session {}: {} failed ({}); denied", exchange, routingKey, session.id(), url, e.toString());
      return false;
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
}
