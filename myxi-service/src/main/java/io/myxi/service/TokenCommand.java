package io.myxi.service;

import static io.myxi.service.Cli.BAD_CONFIGURATION;
import static io.myxi.service.Cli.MAPPER;
import static io.myxi.service.Cli.OK;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import io.myxi.service.Cli.UsesEnvironment;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code token}: mints a session token. */
@Command(name = "token", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
    description = {"Mints a signed session token for a user and grants, for development and tests.",
        "Applications mint their own the same way: a JWT with sub, exp and grants (docs/configuration.md)."})
final class TokenCommand implements Callable<Integer>, UsesEnvironment {
  @Spec
  CommandSpec spec;
  Map<String, String> environment = System.getenv();

  @Option(names = {"-u", "--user"}, required = true, description = "the user: the token's sub")
  String user;

  @Option(names = {"-g", "--grant"}, paramLabel = "EXCHANGE:PATTERN", description = "a grant such as widgets:* or users:alice (repeatable)")
  List<String> grants = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h", description = "lifetime (default: ${DEFAULT-VALUE})")
  String ttl;

  @Option(names = "--claim", paramLabel = "NAME=VALUE", description = "an extra claim; VALUE is JSON when it parses, else a string (repeatable)")
  Map<String, String> claims = new LinkedHashMap<>();

  @Option(names = "--algorithm", paramLabel = "ALG", description = "HS256 (default), RS256 or ES256")
  String algorithm;

  @Option(names = "--secret", description = "HS256 secret (default: auth.secret of --config, or env MYXI_AUTH_SECRET)")
  String secret;

  @Option(names = "--private-key", paramLabel = "FILE", description = "PEM PKCS#8 private key for RS256/ES256")
  Path privateKey;

  @Option(names = "--issuer", description = "iss (default: auth.issuer of --config)")
  String issuer;

  @Option(names = "--audience", description = "aud (default: auth.audience of --config)")
  String audience;

  @Option(names = "--config", paramLabel = "FILE", description = "read auth.* from this configuration file")
  Path config;

  @Override
  public void environment(Map<String, String> environment) {
    this.environment = environment;
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    String effectiveAlgorithm = algorithm;
    String effectiveSecret = secret;
    String effectiveIssuer = issuer;
    String effectiveAudience = audience;
    String grantsClaim = ConfigKeys.get(ConfigKeys.AUTH_GRANTS_CLAIM).defaultValue();
    if (config != null) {
      Config loaded;
      try {
        loaded = ConfigLoader.load(config, environment, Map.of());
      } catch (ConfigException e) {
        err.println("myxi-server: invalid configuration:");
        e.problems().forEach(problem -> err.println("  - " + problem));
        return BAD_CONFIGURATION;
      }
      effectiveAlgorithm = effectiveAlgorithm != null ? effectiveAlgorithm : loaded.string(ConfigKeys.AUTH_ALGORITHM);
      effectiveSecret = effectiveSecret != null ? effectiveSecret : loaded.string(ConfigKeys.AUTH_SECRET);
      effectiveIssuer = effectiveIssuer != null ? effectiveIssuer : loaded.string(ConfigKeys.AUTH_ISSUER);
      effectiveAudience = effectiveAudience != null ? effectiveAudience : loaded.string(ConfigKeys.AUTH_AUDIENCE);
      grantsClaim = loaded.string(ConfigKeys.AUTH_GRANTS_CLAIM);
    }
    if (effectiveSecret == null) {
      effectiveSecret = environment.get(ConfigKeys.get(ConfigKeys.AUTH_SECRET).env());
    }
    effectiveAlgorithm = effectiveAlgorithm == null ? "HS256" : effectiveAlgorithm.toUpperCase(java.util.Locale.ROOT);
    if (!List.of("HS256", "RS256", "ES256").contains(effectiveAlgorithm)) {
      err.println("myxi-server: --algorithm: expected HS256, RS256 or ES256, got " + algorithm);
      return BAD_CONFIGURATION;
    }
    Duration lifetime = Durations.parse(ttl);
    if (lifetime == null) {
      err.println("myxi-server: --ttl: expected a duration such as 30s, 15m or 1h, got '" + ttl + "'");
      return BAD_CONFIGURATION;
    }
    for (String grant : grants) {
      if (grant.indexOf(':') <= 0) {
        err.println("myxi-server: --grant: expected EXCHANGE:PATTERN such as widgets:*, got '" + grant + "'");
        return BAD_CONFIGURATION;
      }
    }
    Algorithm signer;
    try {
      signer = TokenAuth.signingAlgorithm(effectiveAlgorithm, effectiveSecret, privateKey);
    } catch (ConfigException e) {
      err.println("myxi-server: " + e.getMessage());
      return BAD_CONFIGURATION;
    }
    Instant now = Instant.now();
    JWTCreator.Builder jwt = JWT.create().withSubject(user).withIssuedAt(now).withExpiresAt(now.plus(lifetime)).withClaim(grantsClaim, grants);
    if (effectiveIssuer != null) {
      jwt.withIssuer(effectiveIssuer);
    }
    if (effectiveAudience != null) {
      jwt.withAudience(effectiveAudience);
    }
    for (Map.Entry<String, String> claim : claims.entrySet()) {
      Object value;
      try {
        value = MAPPER.readValue(claim.getValue(), Object.class);
      } catch (IOException e) {
        value = claim.getValue();
      }
      if (value instanceof Map<?, ?> map) {
        @SuppressWarnings("unchecked")
        Map<String, ?> object = (Map<String, ?>) map;
        jwt.withClaim(claim.getKey(), object);
      } else if (value instanceof List<?> list) {
        jwt.withClaim(claim.getKey(), list);
      } else if (value instanceof Integer number) {
        jwt.withClaim(claim.getKey(), number);
      } else if (value instanceof Long number) {
        jwt.withClaim(claim.getKey(), number);
      } else if (value instanceof Double number) {
        jwt.withClaim(claim.getKey(), number);
      } else if (value instanceof Boolean bool) {
        jwt.withClaim(claim.getKey(), bool);
      } else {
        jwt.withClaim(claim.getKey(), String.valueOf(value));
      }
    }
    spec.commandLine().getOut().println(jwt.sign(signer));
    spec.commandLine().getOut().flush();
    return OK;
  }
}
