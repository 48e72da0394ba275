package io.myxi.server.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.myxi.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HttpDateTest {
  @Test
  void formats_as_java_websocket_did_and_again_only_when_the_second_changes() {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-05T09:08:07.250Z"));
    HttpDate date = new HttpDate(clock);
    String first = date.now();
    // The library's pattern: "EEE, d MMM yyyy HH:mm:ss z" in GMT (day of month without padding).
    assertThat(first).isEqualTo("Sat, 5 Dec 2026 09:08:07 GMT");
    clock.advance(Duration.ofMillis(700));
    assertThat(date.now()).as("same second: the same string").isSameAs(first);
    clock.advance(Duration.ofMillis(100));
    assertThat(date.now()).isEqualTo("Sat, 5 Dec 2026 09:08:08 GMT");
    clock.set(Instant.parse("2027-01-10T23:59:59.999Z"));
    assertThat(date.now()).isEqualTo("Sun, 10 Jan 2027 23:59:59 GMT");
  }

  @Test
  void accept_key_is_the_one_of_rfc_6455() {
    // RFC 6455, section 1.3, and a key with the surrounding spaces a header may carry.
    assertThat(MyxiDraft.acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assertThat(MyxiDraft.acceptKey(" dGhlIHNhbXBsZSBub25jZQ== ")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  }
}
