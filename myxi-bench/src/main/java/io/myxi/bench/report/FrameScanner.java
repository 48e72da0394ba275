package io.myxi.bench.report;

/**
 * Allocation-free extraction of the fields of a bench event frame,
 * {@code {"event":"bench","payload":{"k":KEY,"s":SEQ,"t":MICROS,...},"mq":{...}}}, from the text the
 * client receives. Field order and whitespace do not matter; the names are looked up after
 * {@code "payload"}. Control frames (Welcome, replies) are parsed with Jackson instead.
 */
public final class FrameScanner {
    private FrameScanner() {
    }

    /** Index just after {@code "name"} followed by optional whitespace and a colon, searching from {@code from}; -1 if absent. */
    public static int valueIndex(CharSequence s, String name, int from) {
        return s instanceof String ? valueIndexString((String) s, name, from) : valueIndexGeneric(s, name, from);
    }

    /** Fast path: {@link String#indexOf} is vectorised. */
    private static int valueIndexString(String s, String name, int from) {
        int n = s.length();
        int len = name.length();
        int i = Math.max(0, from);
        while ((i = s.indexOf(name, i)) >= 0) {
            if (i > 0 && s.charAt(i - 1) == '"' && i + len < n && s.charAt(i + len) == '"') {
                int k = skipColon(s, i + len + 1);
                if (k >= 0) {
                    return k;
                }
            }
            i += len;
        }
        return -1;
    }

    private static int valueIndexGeneric(CharSequence s, String name, int from) {
        int n = s.length();
        int len = name.length();
        outer:
        for (int i = Math.max(0, from); i + len + 2 < n; i++) {
            if (s.charAt(i) != '"') {
                continue;
            }
            for (int j = 0; j < len; j++) {
                if (s.charAt(i + 1 + j) != name.charAt(j)) {
                    continue outer;
                }
            }
            int k = i + 1 + len;
            if (s.charAt(k) != '"') {
                continue;
            }
            int v = skipColon(s, k + 1);
            if (v >= 0) {
                return v;
            }
        }
        return -1;
    }

    /** From just after a closing quote: optional whitespace, a colon, optional whitespace; the index after, or -1. */
    private static int skipColon(CharSequence s, int k) {
        int n = s.length();
        while (k < n && Character.isWhitespace(s.charAt(k))) {
            k++;
        }
        if (k < n && s.charAt(k) == ':') {
            k++;
            while (k < n && Character.isWhitespace(s.charAt(k))) {
                k++;
            }
            return k;
        }
        return -1;
    }

    /** True if the frame's {@code event} is the given name. */
    public static boolean isEvent(CharSequence s, String event) {
        int v = valueIndex(s, "event", 0);
        if (v < 0 || v >= s.length() || s.charAt(v) != '"') {
            return false;
        }
        int n = event.length();
        if (v + n + 1 >= s.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (s.charAt(v + 1 + i) != event.charAt(i)) {
                return false;
            }
        }
        return s.charAt(v + 1 + n) == '"';
    }

    /** The integer value of a payload field, or {@code Long.MIN_VALUE} if absent or not an integer. */
    public static long payloadLong(CharSequence s, String field) {
        int p = valueIndex(s, "payload", 0);
        if (p < 0) {
            return Long.MIN_VALUE;
        }
        int v = valueIndex(s, field, p);
        if (v < 0) {
            return Long.MIN_VALUE;
        }
        int n = s.length();
        boolean neg = false;
        if (v < n && s.charAt(v) == '-') {
            neg = true;
            v++;
        }
        long r = 0;
        int digits = 0;
        while (v < n) {
            char c = s.charAt(v);
            if (c < '0' || c > '9') {
                break;
            }
            r = r * 10 + (c - '0');
            v++;
            digits++;
        }
        if (digits == 0) {
            return Long.MIN_VALUE;
        }
        return neg ? -r : r;
    }

    /** The string value of a payload field (no escape handling: bench keys are plain), or null. */
    public static String payloadString(CharSequence s, String field) {
        int p = valueIndex(s, "payload", 0);
        if (p < 0) {
            return null;
        }
        int v = valueIndex(s, field, p);
        if (v < 0 || v >= s.length() || s.charAt(v) != '"') {
            return null;
        }
        int end = v + 1;
        while (end < s.length() && s.charAt(end) != '"') {
            end++;
        }
        return end < s.length() ? s.subSequence(v + 1, end).toString() : null;
    }

    /** True if the payload string field equals {@code expected}, without allocating. */
    public static boolean payloadStringEquals(CharSequence s, String field, String expected) {
        int p = valueIndex(s, "payload", 0);
        if (p < 0) {
            return false;
        }
        int v = valueIndex(s, field, p);
        if (v < 0 || v >= s.length() || s.charAt(v) != '"') {
            return false;
        }
        int n = expected.length();
        if (v + n + 1 >= s.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (s.charAt(v + 1 + i) != expected.charAt(i)) {
                return false;
            }
        }
        return s.charAt(v + 1 + n) == '"';
    }
}
