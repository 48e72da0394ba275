package io.myxi.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A strict reader of the Prometheus text format 0.0.4, enough to check what /metrics serves. */
final class PrometheusText {
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*,?)?\\})? "
          + "(-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( -?[0-9]+)?");
  private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*");

  private PrometheusText() {}

  /** Every sample, as {@code name{labels}} to value; fails on any line that is not valid. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    int number = 0;
    for (String line : text.split("\n")) {
      number++;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        if (!COMMENT.matcher(line).matches()) {
          throw new AssertionError("line " + number + " is not a valid comment: " + line);
        }
        continue;
      }
      Matcher matcher = SAMPLE.matcher(line);
      if (!matcher.matches()) {
        throw new AssertionError("line " + number + " is not a valid sample: " + line);
      }
      String value = matcher.group(3);
      double parsed = value.equals("+Inf") ? Double.POSITIVE_INFINITY : value.equals("-Inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(value);
      samples.put(matcher.group(1) + (matcher.group(2) == null ? "" : matcher.group(2)), parsed);
    }
    if (samples.isEmpty()) {
      throw new AssertionError("no samples");
    }
    return samples;
  }
}
