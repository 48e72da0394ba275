package io.myxi.service;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myxi.ActionRequest;
import io.myxi.Authorizer;
import io.myxi.ErrorCodes;
import io.myxi.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable server's built-in {@code Authenticate {token}}: verifies a signed JWT the application
 * minted, makes its {@code sub} the session's user, keeps its claims and grants, and takes the
 * authentication away again when the token expires. The token itself is never logged.
 */
final class TokenAuth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TokenAuth.class);
  /** The action's name, as in the gem's README. */
  static final String ACTION = "Authenticate";
  /** The reply on success. */
  static final String AUTHENTICATED = "Authenticated";
  /** Logs the session out (the engine's own {@code Logout}, plus this token state). */
  static final String LOGOUT_ACTION = "Logout";
  /** The reply to {@code Logout}. */
  static final String LOGGED_OUT = "LoggedOut";
  /** Sent (without tag) when a session's token expired and its authentication was removed. */
  static final String AUTHENTICATION_EXPIRED = "AuthenticationExpired";
  /** {@code payload.reason} of InvalidAuthentication when the token expired. */
  static final String REASON_EXPIRED = "expired";
  /** {@code payload.reason} of InvalidAuthentication for any other refusal. */
  static final String REASON_INVALID = "invalid";
  /** Session attribute holding the token's claims, a {@code Map<String, Object>}. */
  static final String CLAIMS_ATTRIBUTE = "myxi.claims";
  private static final String STATE_ATTRIBUTE = "myxi.token";
  private static final TypeReference<Map<String, Object>> CLAIMS_TYPE = new TypeReference<>() {};

  /** How often refused tokens are summed up in one INFO line. */
  static final Duration REFUSAL_SUMMARY_INTERVAL = Duration.ofMinutes(1);

  private final JWTVerifier verifier;
  private final String grantsClaim;
  private final Duration leeway;
  /** Zero: no limit. */
  private final Duration maxLifetime;
  private final ObjectMapper mapper;
  private final ScheduledExecutorService expiries;
  /**
   * Refusals since the last summary, by reason. A client can send refused tokens as fast as the
   * rate limit lets it: one log line each would let it fill the disk and bury the rest.
   */
  private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();

  TokenAuth(Config config, ObjectMapper mapper) throws ConfigException {
    this.verifier = verifier(config);
    this.grantsClaim = config.string(ConfigKeys.AUTH_GRANTS_CLAIM);
    this.leeway = config.duration(ConfigKeys.AUTH_LEEWAY);
    this.maxLifetime = config.duration(ConfigKeys.AUTH_MAX_LIFETIME);
    this.mapper = mapper;
    this.expiries = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "myxi-token-expiry");
      thread.setDaemon(true);
      return thread;
    });
    long every = REFUSAL_SUMMARY_INTERVAL.toMillis();
    expiries.scheduleAtFixedRate(this::logRefusalSummary, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Logs, at INFO, how many tokens were refused since the last call and why, and starts counting
   * afresh; logs nothing when none were. Returns the line, or null.
   */
  String logRefusalSummary() {
    Map<String, Long> counts = new TreeMap<>();
    refusals.forEach((reason, count) -> {
      long taken = count.sumThenReset();
      if (taken > 0) {
        counts.put(reason, taken);
      }
    });
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      return null;
    }
    StringBuilder line = new StringBuilder("Refused " + total + " session token" + (total == 1 ? "" : "s") + " since the last summary:");
    counts.forEach((reason, count) -> line.append(' ').append(reason).append(" x").append(count).append(';'));
    line.setLength(line.length() - 1);
    String text = line.toString();
    log.info(text);
    return text;
  }

  /** The verifier of the configured algorithm and key; {@code exp} and {@code sub} are checked after it. */
  static JWTVerifier verifier(Config config) throws ConfigException {
    var verification = JWT.require(verifyingAlgorithm(config)).acceptLeeway(config.duration(ConfigKeys.AUTH_LEEWAY).toSeconds());
    if (config.isSet(ConfigKeys.AUTH_ISSUER)) {
      verification.withIssuer(config.string(ConfigKeys.AUTH_ISSUER));
    }
    if (config.isSet(ConfigKeys.AUTH_AUDIENCE)) {
      verification.withAudience(config.string(ConfigKeys.AUTH_AUDIENCE));
    }
    return verification.build();
  }

  private static Algorithm verifyingAlgorithm(Config config) throws ConfigException {
    String algorithm = config.string(ConfigKeys.AUTH_ALGORITHM);
    if (algorithm.equals("HS256")) {
      return Algorithm.HMAC256(config.string(ConfigKeys.AUTH_SECRET).getBytes(StandardCharsets.UTF_8));
    }
    Path file = config.path(ConfigKeys.AUTH_PUBLIC_KEY_FILE);
    PublicKey key;
    try {
      key = Pem.publicKey(file);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(ConfigKeys.AUTH_PUBLIC_KEY_FILE + ": " + e.getMessage());
    }
    if (algorithm.equals("RS256") && key instanceof RSAPublicKey rsa) {
      return Algorithm.RSA256(rsa, null);
    }
    if (algorithm.equals("ES256") && key instanceof ECPublicKey ec) {
      return Algorithm.ECDSA256(ec, null);
    }
    throw new ConfigException(ConfigKeys.AUTH_PUBLIC_KEY_FILE + ": a " + key.getAlgorithm() + " key cannot verify " + algorithm);
  }

  /** The signing algorithm for {@code myxi-server token}: the secret, or a PKCS#8 private key. */
  static Algorithm signingAlgorithm(String algorithm, String secret, Path privateKeyFile) throws ConfigException {
    if (algorithm.equals("HS256")) {
      if (secret == null || secret.getBytes(StandardCharsets.UTF_8).length < 32) {
        throw new ConfigException(ConfigKeys.AUTH_SECRET + ": a secret of at least 32 bytes is required to sign HS256 tokens (--secret or MYXI_AUTH_SECRET)");
      }
      return Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
    }
    if (privateKeyFile == null) {
      throw new ConfigException("--private-key: a PEM PKCS#8 private key is required to sign " + algorithm + " tokens");
    }
    PrivateKey key;
    try {
      key = Pem.privateKey(privateKeyFile);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("--private-key: " + e.getMessage());
    }
    if (algorithm.equals("RS256") && key instanceof RSAPrivateKey rsa) {
      return Algorithm.RSA256(null, rsa);
    }
    if (algorithm.equals("ES256") && key instanceof ECPrivateKey ec) {
      return Algorithm.ECDSA256(null, ec);
    }
    throw new ConfigException("--private-key: a " + key.getAlgorithm() + " key cannot sign " + algorithm);
  }

  /** The {@code token} access rule of one exchange. */
  Authorizer tokenRule(String exchange) {
    return (session, routingKey) -> {
      State state = (State) session.attribute(STATE_ATTRIBUTE);
      if (state == null || !session.isAuthenticated()) {
        return false;
      }
      synchronized (state) {
        return state.grants != null && state.grants.allows(exchange, routingKey);
      }
    };
  }

  /** The Authenticate action. Runs on a Myxi worker thread, after the session's earlier actions. */
  void authenticate(ActionRequest request) {
    Session session = request.session();
    JsonNode tokenNode = request.payload().get("token");
    if (tokenNode == null || !tokenNode.isTextual() || tokenNode.textValue().isEmpty()) {
      refuse(request, REASON_INVALID, "no token in the payload");
      return;
    }
    DecodedJWT jwt;
    try {
      jwt = verifier.verify(tokenNode.textValue());
    } catch (TokenExpiredException e) {
      refuse(request, REASON_EXPIRED, "token expired");
      return;
    } catch (JWTVerificationException e) {
      // The exception's class says why (signature, claim, format); its message may quote the payload.
      refuse(request, REASON_INVALID, e.getClass().getSimpleName());
      return;
    }
    Instant expiresAt = jwt.getExpiresAtAsInstant();
    String user = jwt.getSubject();
    if (expiresAt == null) {
      refuse(request, REASON_INVALID, "token has no exp");
      return;
    }
    if (user == null || user.isEmpty()) {
      refuse(request, REASON_INVALID, "token has no sub");
      return;
    }
    if (!maxLifetime.isZero()) {
      Instant issuedAt = jwt.getIssuedAtAsInstant();
      Duration lifetime = Duration.between(issuedAt != null ? issuedAt : Instant.now(), expiresAt);
      if (lifetime.compareTo(maxLifetime.plus(leeway)) > 0) {
        refuse(request, REASON_INVALID, "lifetime longer than auth.max_lifetime");
        return;
      }
    }
    Map<String, Object> claims;
    try {
      claims = mapper.readValue(Base64.getUrlDecoder().decode(jwt.getPayload()), CLAIMS_TYPE);
    } catch (IOException | IllegalArgumentException e) {
      refuse(request, REASON_INVALID, "claims are not a JSON object");
      return;
    }
    Grants grants = Grants.parse(claims.get(grantsClaim));
    if (grants == null) {
      refuse(request, REASON_INVALID, "claim " + grantsClaim + " is not a list of exchange:pattern strings");
      return;
    }
    State state = (State) session.attribute(STATE_ATTRIBUTE);
    if (state == null) {
      state = new State();
      session.setAttribute(STATE_ATTRIBUTE, state);
      State closing = state;
      session.onClose(() -> closing.cancel());
    }
    Instant removeAt = expiresAt.plus(leeway);
    synchronized (state) {
      state.cancel();
      state.generation++;
      state.grants = grants;
      long generation = state.generation;
      State current = state;
      long delay = Math.max(0, Duration.between(Instant.now(), removeAt).toMillis());
      // The timer only queues: the expiry itself runs in the session's lane, after the actions
      // queued before it, so no action sees the authentication change under its feet.
      state.expiry = expiries.schedule(() -> session.execute(() -> expire(session, current, generation)), delay, TimeUnit.MILLISECONDS);
      session.setAttribute(CLAIMS_ATTRIBUTE, Map.copyOf(new LinkedHashMap<>(withoutNulls(claims))));
      session.setAuth(user);
    }
    log.debug("Session {} authenticated as {} until {} with {} grants", session.id(), user, expiresAt, grants.size());
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("user", user);
    reply.put("expires_at", expiresAt.getEpochSecond());
    request.reply(AUTHENTICATED, reply);
  }

  private static Map<String, Object> withoutNulls(Map<String, Object> claims) {
    Map<String, Object> copy = new LinkedHashMap<>();
    claims.forEach((name, value) -> {
      if (value != null) {
        copy.put(name, value);
      }
    });
    return copy;
  }

  private void refuse(ActionRequest request, String reason, String why) {
    log.debug("Session {}: token refused ({})", request.session().id(), why);
    refusals.computeIfAbsent(why, ignored -> new LongAdder()).increment();
    // A refused re-authentication ends the earlier login: keeping a login the client tried to
    // replace would leave it with rights it no longer expects (the engine re-checks the
    // subscriptions right after this action).
    logOut(request.session());
    request.error(ErrorCodes.INVALID_AUTHENTICATION, "reason", reason);
  }

  /** The Logout action: ends the login and its token state; answers {@code LoggedOut}. */
  void logout(ActionRequest request) {
    logOut(request.session());
    request.reply(LOGGED_OUT, Map.of());
  }

  /** Removes the login, grants, claims and pending expiry of a session, if it has any. In its lane. */
  private static void logOut(Session session) {
    State state = (State) session.attribute(STATE_ATTRIBUTE);
    if (state != null) {
      synchronized (state) {
        state.cancel();
        state.generation++;
        state.grants = null;
      }
    }
    if (session.isAuthenticated() || session.attribute(CLAIMS_ATTRIBUTE) != null) {
      session.setAttribute(CLAIMS_ATTRIBUTE, null);
      session.setAuth(null);
    }
  }

  /**
   * The token of this generation expired: log the session out and re-check its subscriptions.
   * Runs in the session's lane.
   */
  private void expire(Session session, State state, long generation) {
    synchronized (state) {
      if (state.generation != generation || !session.isOpen()) {
        return; // Authenticated again with a newer token meanwhile, or gone.
      }
      state.grants = null;
      state.expiry = null;
      session.setAuth(null);
      session.setAttribute(CLAIMS_ATTRIBUTE, null);
    }
    log.debug("Session {}: token expired; authentication removed", session.id());
    session.send(AUTHENTICATION_EXPIRED, Map.of());
    session.reauthorize();
  }

  @Override
  public void close() {
    expiries.shutdownNow();
    logRefusalSummary();
  }

  /** A session's token state; guarded by itself. */
  private static final class State {
    long generation;
    Grants grants;
    ScheduledFuture<?> expiry;

    synchronized void cancel() {
      if (expiry != null) {
        expiry.cancel(false);
        expiry = null;
      }
    }
  }
}
