package io.myxi.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.myxi.Myxi;
import io.myxi.Retention;
import io.myxi.service.ExchangeRule.Access;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code exchanges} key: {@code name=rule,...} from the environment or a flag, or from the
 * file a mapping of names to rules, short ({@code news: public}) or long ({@code {access: http,
 * url: .., history: {max_age: 1h}}}). A wrong rule adds a problem naming its path under
 * {@code exchanges} to the loader's list, and the whole key is then refused.
 */
final class ExchangeRulesParser {
  private static final Set<String> EXCHANGE_FIELDS = Set.of("access", "url", "timeout", "cache_ttl", "history");
  private static final Set<String> HISTORY_FIELDS = Set.of("max_age", "max_bytes");

  private final List<String> problems;

  ExchangeRulesParser(List<String> problems) {
    this.problems = problems;
  }

  /** {@code widgets=token,news=public}: the environment's and the flag's form. */
  Object fromText(String text, String origin) {
    List<ExchangeRule> rules = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int equals = part.indexOf('=');
      if (equals <= 0) {
        problems.add("exchanges: expected name=rule[,name=rule...] such as widgets=token,news=public (" + origin + "), got '" + part.trim() + "'");
        return null;
      }
      String name = part.substring(0, equals).trim();
      ExchangeRule rule = exchange(name, part.substring(equals + 1).trim(), null, null, null, origin);
      if (rule == null) {
        return null;
      }
      if (!seen.add(name)) {
        problems.add("exchanges." + name + ": named twice (" + origin + ")");
        return null;
      }
      rules.add(rule);
    }
    return List.copyOf(rules);
  }

  /** The file's form: a mapping of names to a rule ({@code news: public}) or {@code {access: .., history: ..}}. */
  Object fromNode(JsonNode node, String origin) {
    if (!node.isObject()) {
      problems.add("exchanges: expected a mapping of exchange names to rules (" + origin + "), found " + ConfigValues.describeNode(node));
      return null;
    }
    List<ExchangeRule> rules = new ArrayList<>();
    int before = problems.size();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = field.getKey();
      JsonNode value = field.getValue();
      String path = "exchanges." + name;
      if (value.isTextual()) {
        ExchangeRule rule = exchange(name, value.textValue(), null, null, null, origin);
        if (rule != null) {
          rules.add(rule);
        }
        continue;
      }
      if (!value.isObject()) {
        problems.add(path + ": expected a rule (public, authenticated, token, http) or {access: ..} (" + origin + "), found " + ConfigValues.describeNode(value));
        continue;
      }
      for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
        String field2 = names.next();
        if (!EXCHANGE_FIELDS.contains(field2)) {
          problems.add(path + "." + field2 + ": unknown key in " + origin.substring("file ".length()) + " (an exchange has access, url, timeout, cache_ttl, history)");
        }
      }
      JsonNode access = value.get("access");
      if (access == null || !access.isTextual()) {
        problems.add(path + ".access: required: one of public, authenticated, token, http (" + origin + ")");
        continue;
      }
      String url = textField(value, path, "url", origin);
      Duration timeout = durationField(value, path, "timeout", origin);
      Duration cacheTtl = durationField(value, path, "cache_ttl", origin);
      ExchangeRule rule = exchange(name, access.textValue(), url, timeout, cacheTtl, origin);
      Retention history = history(value.get("history"), path + ".history", origin);
      if (rule != null) {
        rules.add(history == null ? rule : new ExchangeRule(rule.name(), rule.access(), rule.url(), rule.timeout(), rule.cacheTtl(), history));
      }
    }
    return problems.size() == before ? List.copyOf(rules) : null;
  }

  /** {@code history: {max_age: 1h, max_bytes: 1GB}} (at least one of them), or null when absent or wrong. */
  private Retention history(JsonNode node, String path, String origin) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      problems.add(path + ": expected {max_age: .., max_bytes: ..} (" + origin + "), found " + ConfigValues.describeNode(node));
      return null;
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!HISTORY_FIELDS.contains(field)) {
        problems.add(path + "." + field + ": unknown key (history has max_age, max_bytes) (" + origin + ")");
        return null;
      }
    }
    Duration maxAge = durationField(node, path, "max_age", origin);
    Long maxBytes = null;
    JsonNode bytes = node.get("max_bytes");
    if (bytes != null && !bytes.isNull()) {
      maxBytes = bytes.isValueNode() ? Sizes.parse(bytes.asText()) : null;
      if (maxBytes == null || maxBytes == 0) {
        problems.add(path + ".max_bytes: expected a size such as 500MB or 1GB (" + origin + "), got '" + bytes.asText() + "'");
        return null;
      }
    }
    if (maxAge == null && maxBytes == null) {
      problems.add(path + ": needs max_age, max_bytes or both (" + origin + ")");
      return null;
    }
    if (maxAge != null && maxAge.getSeconds() < 1) {
      problems.add(path + ".max_age: at least 1s (" + origin + ")");
      return null;
    }
    Retention retention = maxAge != null ? Retention.maxAge(maxAge) : Retention.maxBytes(maxBytes);
    return maxAge != null && maxBytes != null ? retention.withMaxBytes(maxBytes) : retention;
  }

  private String textField(JsonNode object, String path, String field, String origin) {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      problems.add(path + "." + field + ": expected a string (" + origin + "), found " + ConfigValues.describeNode(node));
      return null;
    }
    return node.textValue();
  }

  private Duration durationField(JsonNode object, String path, String field, String origin) {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    Duration parsed = node.isValueNode() ? Durations.parse(node.asText()) : null;
    if (parsed == null) {
      problems.add(path + "." + field + ": expected a duration with a unit, such as 500ms, 2s or 1m (" + origin + "), got '" + node.asText() + "'");
    }
    return parsed;
  }

  private ExchangeRule exchange(String name, String accessText, String url, Duration timeout, Duration cacheTtl, String origin) {
    String path = "exchanges." + name;
    if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > Myxi.MAX_NAME_BYTES) {
      problems.add(path + ": an exchange name must have 1 to " + Myxi.MAX_NAME_BYTES + " bytes (" + origin + ")");
      return null;
    }
    Access access = Access.parse(accessText.trim());
    if (access == null) {
      problems.add(path + ": unknown access rule '" + accessText + "', expected one of public, authenticated, token, http (" + origin + ")");
      return null;
    }
    if (access != Access.HTTP && (url != null || timeout != null || cacheTtl != null)) {
      problems.add(path + ": url, timeout and cache_ttl only apply to access http (" + origin + ")");
      return null;
    }
    String urlProblem = url == null ? null : httpUrlProblem(url);
    if (urlProblem != null) {
      problems.add(path + ".url: " + urlProblem + " (" + origin + ")");
      return null;
    }
    return new ExchangeRule(name, access, url, timeout, cacheTtl);
  }

  /**
   * Null when {@code text} is an http(s) URL the http rule can call, else why not. The URL is not
   * quoted: it may carry a secret. User info is refused (it would be sent and logged); put the
   * application's credential in authorization.token instead.
   */
  static String httpUrlProblem(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return "expected an http:// or https:// URL; this one does not parse";
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      return "expected an http:// or https:// URL with a host, got " + Config.Redaction.httpUrl(text);
    }
    if (uri.getRawUserInfo() != null) {
      return "user info (user:password@) is not allowed in the URL: send a credential with authorization.token";
    }
    return null;
  }
}
