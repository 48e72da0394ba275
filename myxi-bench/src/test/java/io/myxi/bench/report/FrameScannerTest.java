package io.myxi.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FrameScannerTest {
    private static final String FRAME =
            "{\"event\":\"bench\",\"payload\":{\"k\":\"bench-1-all\",\"s\":42,\"t\":1732450000123456},\"mq\":{\"e\":\"widgets\",\"rk\":\"bench-1-all\"}}";

    @Test
    void extractsFieldsOfAnEventFrame() {
        assertThat(FrameScanner.isEvent(FRAME, "bench")).isTrue();
        assertThat(FrameScanner.isEvent(FRAME, "ben")).isFalse();
        assertThat(FrameScanner.payloadLong(FRAME, "s")).isEqualTo(42);
        assertThat(FrameScanner.payloadLong(FRAME, "t")).isEqualTo(1732450000123456L);
        assertThat(FrameScanner.payloadString(FRAME, "k")).isEqualTo("bench-1-all");
        assertThat(FrameScanner.payloadStringEquals(FRAME, "k", "bench-1-all")).isTrue();
        assertThat(FrameScanner.payloadStringEquals(FRAME, "k", "bench-1-al")).isFalse();
        assertThat(FrameScanner.payloadStringEquals(FRAME, "k", "bench-1-all2")).isFalse();
    }

    @Test
    void sameAnswersForANonStringCharSequence() {
        CharSequence cb = java.nio.CharBuffer.wrap(FRAME);
        assertThat(FrameScanner.isEvent(cb, "bench")).isTrue();
        assertThat(FrameScanner.payloadLong(cb, "s")).isEqualTo(42);
        assertThat(FrameScanner.payloadLong(cb, "t")).isEqualTo(1732450000123456L);
        assertThat(FrameScanner.payloadStringEquals(cb, "k", "bench-1-all")).isTrue();
        assertThat(FrameScanner.payloadString(java.nio.CharBuffer.wrap("{\"payload\":{\"rk\":\"a\"}}"), "k")).isNull();
    }

    @Test
    void toleratesOtherOrderWhitespaceAndPadding() {
        String f = "{ \"mq\" : {\"e\":\"widgets\",\"rk\":\"x\"}, \"payload\" : { \"p\":\"xxxx\", \"t\" : -5 , \"s\":7, \"k\" : \"x\" },"
                + " \"event\" : \"bench\" }";
        assertThat(FrameScanner.isEvent(f, "bench")).isTrue();
        assertThat(FrameScanner.payloadLong(f, "s")).isEqualTo(7);
        assertThat(FrameScanner.payloadLong(f, "t")).isEqualTo(-5);
        assertThat(FrameScanner.payloadString(f, "k")).isEqualTo("x");
    }

    @Test
    void controlFramesAreNotEvents() {
        String welcome = "{\"event\":\"Welcome\",\"payload\":{\"id\":\"0123456789abcdef\"}}";
        assertThat(FrameScanner.isEvent(welcome, "bench")).isFalse();
        assertThat(FrameScanner.payloadLong(welcome, "s")).isEqualTo(Long.MIN_VALUE);
        assertThat(FrameScanner.payloadString(welcome, "k")).isNull();
        assertThat(FrameScanner.payloadLong("{\"payload\":{\"s\":\"7\"}}", "s")).isEqualTo(Long.MIN_VALUE);
        // "rk" must not be mistaken for "k"
        assertThat(FrameScanner.payloadString("{\"payload\":{\"rk\":\"a\"}}", "k")).isNull();
    }
}
