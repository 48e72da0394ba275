package io.myxi.bench.proc;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the output of {@code jcmd <pid> GC.heap_info} into "heap used" bytes, for the collectors a
 * node is likely to run with: G1 ({@code garbage-first heap ... used NK}), Parallel/Serial (the sum of
 * the generations' {@code used}) and ZGC ({@code ZHeap used NM}).
 */
public final class HeapInfo {
    private static final Pattern USED = Pattern.compile("used\\s+(\\d+)([KMG]?)");
    private static final Pattern GEN_LINE = Pattern.compile(
            "^\\s*(PSYoungGen|ParOldGen|PSOldGen|def new generation|tenured generation|Shenandoah Heap)\\b.*");

    private HeapInfo() {
    }

    /** Heap bytes in use, or -1 if the output is not understood. */
    public static long parseUsedBytes(String heapInfo) {
        long sum = -1;
        for (String line : heapInfo.split("\n")) {
            String t = line.trim();
            if (t.startsWith("garbage-first heap") || t.startsWith("ZHeap") || t.startsWith("Shenandoah Heap")) {
                return firstUsed(t);
            }
            if (GEN_LINE.matcher(line).matches()) {
                long u = firstUsed(t);
                if (u >= 0) {
                    sum = (sum < 0 ? 0 : sum) + u;
                }
            }
        }
        return sum;
    }

    private static long firstUsed(String line) {
        Matcher m = USED.matcher(line);
        if (!m.find()) {
            return -1;
        }
        long v = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "K":
                return v * 1024;
            case "M":
                return v * 1024 * 1024;
            case "G":
                return v * 1024 * 1024 * 1024;
            default:
                return v;
        }
    }
}
