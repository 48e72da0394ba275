package io.myxi.bench.proc;

import java.util.List;

/** {@code jcmd} against the node process: forced GC, heap in use, effective VM flags. */
public final class Jcmd {
    private Jcmd() {
    }

    private static String run(long pid, String... cmd) {
        try {
            List<String> c = new java.util.ArrayList<>(List.of("jcmd", Long.toString(pid)));
            c.addAll(List.of(cmd));
            Exec.Result r = Exec.run(c, 60);
            return r.exit == 0 ? r.output : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** {@code GC.run} then {@code GC.heap_info}: bytes of heap in use after a full GC, or -1. */
    public static long heapUsedAfterGc(long pid) {
        if (run(pid, "GC.run") == null) {
            return -1;
        }
        String info = run(pid, "GC.heap_info");
        return info == null ? -1 : HeapInfo.parseUsedBytes(info);
    }

    /** The effective non-default VM flags ({@code VM.flags}), one line, or null. */
    public static String vmFlags(long pid) {
        String out = run(pid, "VM.flags");
        if (out == null) {
            return null;
        }
        String[] lines = out.trim().split("\n");
        return lines[lines.length - 1].trim();
    }
}
