package io.myxi.bench.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Reads CPU time and resident memory of a process from {@code /proc}. Parsing is pure and tested. */
public final class ProcFs {
    private static volatile long clockTicks = -1;

    private ProcFs() {
    }

    /** utime + stime of the process in clock ticks, from the text of {@code /proc/<pid>/stat}. */
    public static long parseCpuTicks(String stat) {
        // The command name (field 2) is in parentheses and may contain spaces and ')': parse after the last ')'.
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state); utime is field 14, stime field 15 (1-based): f[11], f[12].
        if (f.length < 13) {
            throw new IllegalArgumentException("too few fields in /proc/<pid>/stat: " + stat);
        }
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** stime alone (time in the kernel on the process's behalf) in clock ticks, from {@code /proc/<pid>/stat}. */
    public static long parseSystemTicks(String stat) {
        long both = parseCpuTicks(stat); // validates the line
        String[] f = stat.substring(stat.lastIndexOf(')') + 1).trim().split("\\s+");
        return Math.min(both, Long.parseLong(f[12]));
    }

    /**
     * CPU time (user + system) in microseconds of a process's threads, summed per thread name with its
     * digits replaced by {@code N} ({@code myxi-worker-3} and {@code myxi-worker-7} count together);
     * empty if it cannot be read. Where a process's CPU goes when a profiler sees little of it (JIT
     * compilers, GC, time in the kernel).
     */
    public static java.util.Map<String, Long> threadCpuMicros(long pid) {
        java.util.Map<String, Long> byName = new java.util.TreeMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (java.util.stream.Stream<Path> list = Files.list(tasks)) {
            for (Path task : (Iterable<Path>) list::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.UTF_8);
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
                    byName.merge(name, parseCpuTicks(stat) * 1_000_000L / clockTicks(), Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return java.util.Map.of();
        }
        return byName;
    }

    /** System (kernel) CPU time of a process in microseconds, or -1 if it cannot be read. */
    public static long systemMicros(long pid) {
        try {
            return parseSystemTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8))
                    * 1_000_000L / clockTicks();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A {@code kB} field (e.g. {@code VmRSS}, {@code VmHWM}) of {@code /proc/<pid>/status}, or -1 if absent. */
    public static long parseStatusKb(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                String v = line.substring(field.length() + 1).trim();
                int sp = v.indexOf(' ');
                return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
            }
        }
        return -1;
    }

    /**
     * Machine-wide CPU from the first ({@code cpu}) line of {@code /proc/stat}: {busy, total} ticks
     * over all cores, busy = user + nice + system + irq + softirq + steal, total = busy + idle + iowait.
     */
    public static long[] parseMachineTicks(String procStat) {
        for (String line : procStat.split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long user = Long.parseLong(f[1]);
                long nice = Long.parseLong(f[2]);
                long system = Long.parseLong(f[3]);
                long idle = Long.parseLong(f[4]);
                long iowait = f.length > 5 ? Long.parseLong(f[5]) : 0;
                long irq = f.length > 6 ? Long.parseLong(f[6]) : 0;
                long softirq = f.length > 7 ? Long.parseLong(f[7]) : 0;
                long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
                long busy = user + nice + system + irq + softirq + steal;
                return new long[] {busy, busy + idle + iowait};
            }
        }
        throw new IllegalArgumentException("no cpu line in /proc/stat");
    }

    /** Machine-wide busy CPU time so far, in microseconds (summed over cores). */
    public static long machineBusyMicros() {
        try {
            return parseMachineTicks(Files.readString(Path.of("/proc/stat"), StandardCharsets.UTF_8))[0] * 1_000_000L / clockTicks();
        } catch (IOException e) {
            return -1;
        }
    }

    public static long cpuTicks(long pid) throws IOException {
        return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8));
    }

    /** CPU time (user + system) of a process in microseconds. */
    public static long cpuMicros(long pid) throws IOException {
        return cpuTicks(pid) * 1_000_000L / clockTicks();
    }

    public static long rssKb(long pid) throws IOException {
        return parseStatusKb(Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8), "VmRSS");
    }

    public static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** USER_HZ from {@code getconf CLK_TCK} (100 on practically every Linux). */
    public static long clockTicks() {
        long t = clockTicks;
        if (t > 0) {
            return t;
        }
        t = 100;
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                t = Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // keep 100
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clockTicks = t;
        return t;
    }

    /** PID of the first process whose {@code comm} is {@code name}, or -1. */
    public static long findPidByComm(String name) {
        try (var dirs = Files.list(Path.of("/proc"))) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(s -> s.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong)
                    .filter(pid -> name.equals(comm(pid)))
                    .min().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }
}
