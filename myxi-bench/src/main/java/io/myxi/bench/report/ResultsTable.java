package io.myxi.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups run records (one JSON object per run) by scenario, target and variant and prints a
 * markdown table of the median of every {@code summary} metric, per group.
 */
public final class ResultsTable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsTable() {
    }

    public static List<JsonNode> readJsonLines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** Markdown tables, one per scenario, a row per (target, variant) with the medians over its runs. */
    public static String markdown(List<JsonNode> runs) {
        Map<String, Map<String, List<JsonNode>>> byScenario = new LinkedHashMap<>();
        for (JsonNode r : runs) {
            String scenario = r.path("scenario").asText("?");
            String group = r.path("target").asText("?") + " | " + r.path("variant").asText("");
            byScenario.computeIfAbsent(scenario, k -> new LinkedHashMap<>())
                    .computeIfAbsent(group, k -> new ArrayList<>()).add(r);
        }
        StringBuilder sb = new StringBuilder();
        for (var se : byScenario.entrySet()) {
            List<String> cols = new ArrayList<>();
            for (List<JsonNode> g : se.getValue().values()) {
                for (JsonNode r : g) {
                    Iterator<String> it = r.path("summary").fieldNames();
                    while (it.hasNext()) {
                        String c = it.next();
                        if (!cols.contains(c)) {
                            cols.add(c);
                        }
                    }
                }
            }
            sb.append("\n### ").append(se.getKey()).append(" (median of runs)\n\n");
            sb.append("| target | variant | runs |");
            for (String c : cols) {
                sb.append(' ').append(c).append(" |");
            }
            sb.append('\n').append("|---|---|---|");
            sb.append("---|".repeat(cols.size())).append('\n');
            for (var ge : se.getValue().entrySet()) {
                String[] tv = ge.getKey().split(" \\| ", 2);
                // Runs disturbed by other processes count only when there is no clean run of the variant.
                List<JsonNode> clean = new ArrayList<>();
                for (JsonNode r : ge.getValue()) {
                    if (!r.path("noisy").asBoolean(false)) {
                        clean.add(r);
                    }
                }
                List<JsonNode> used = clean.isEmpty() ? ge.getValue() : clean;
                int noisyLeftOut = ge.getValue().size() - used.size();
                sb.append("| ").append(tv[0]).append(" | ").append(tv.length > 1 ? tv[1] : "").append(" | ")
                        .append(used.size()).append(noisyLeftOut > 0 ? " (+" + noisyLeftOut + " noisy)" : "").append(" |");
                for (String c : cols) {
                    List<Double> vals = new ArrayList<>();
                    for (JsonNode r : used) {
                        JsonNode v = r.path("summary").path(c);
                        if (v.isNumber()) {
                            vals.add(v.asDouble());
                        } else if (v.isBoolean()) {
                            vals.add(v.asBoolean() ? 1.0 : 0.0);
                        }
                    }
                    sb.append(' ').append(format(Stats.median(vals))).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static String format(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(java.util.Locale.ROOT, "%.0f", v);
        }
        if (a >= 1) {
            return String.format(java.util.Locale.ROOT, "%.2f", v);
        }
        return String.format(java.util.Locale.ROOT, "%.3f", v);
    }
}
