package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GrantsTest {
  @Test
  void star_matches_any_run_of_characters_and_nothing_else_is_special() {
    assertThat(Grants.glob("*", "")).isTrue();
    assertThat(Grants.glob("*", "anything")).isTrue();
    assertThat(Grants.glob("1234", "1234")).isTrue();
    assertThat(Grants.glob("1234", "12345")).isFalse();
    assertThat(Grants.glob("org-7.*", "org-7.widget-1")).isTrue();
    assertThat(Grants.glob("org-7.*", "org-70.widget-1")).isFalse();
    assertThat(Grants.glob("a*b*c", "a--b--c")).isTrue();
    assertThat(Grants.glob("a*b*c", "a--c--b")).isFalse();
    assertThat(Grants.glob("a.c", "abc")).isFalse();
  }

  @Test
  void grants_name_an_exchange_before_the_first_colon() {
    Grants grants = Grants.parse(List.of("widgets:*", "users:alice", "deployment:1234", "topics:a:b"));
    assertThat(grants.allows("widgets", "99")).isTrue();
    assertThat(grants.allows("users", "alice")).isTrue();
    assertThat(grants.allows("users", "bob")).isFalse();
    assertThat(grants.allows("deployment", "1234")).isTrue();
    assertThat(grants.allows("topics", "a:b")).isTrue();
    assertThat(grants.allows("other", "1")).isFalse();
  }

  @Test
  void a_missing_claim_grants_nothing_and_a_malformed_one_is_refused() {
    assertThat(Grants.parse(null).allows("widgets", "1")).isFalse();
    assertThat(Grants.parse("widgets:*")).isNull();
    assertThat(Grants.parse(List.of("widgets"))).isNull();
    assertThat(Grants.parse(List.of(":x"))).isNull();
    assertThat(Grants.parse(List.of(1))).isNull();
  }
}
