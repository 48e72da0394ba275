package io.myxi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RegistrarViewTest {
  @Test
  void registers_on_the_builder_without_handing_it_out() {
    Myxi.Builder builder = Myxi.builder();
    Registrar registrar = Registrar.viewOf(builder);

    Registrar chained = registrar.action("A", request -> {}).authenticatedAction("B", request -> {}).exchange("news", Authorizer.allowAll());

    assertThat(chained).isSameAs(registrar).isNotInstanceOf(Myxi.Builder.class);
    try (Myxi myxi = builder.build()) {
      assertThat(myxi.action("A")).hasValueSatisfying(action -> assertThat(action.requiresAuthentication()).isFalse());
      assertThat(myxi.action("B")).hasValueSatisfying(action -> assertThat(action.requiresAuthentication()).isTrue());
      assertThat(myxi.exchange("news")).isPresent();
    }
  }

  @Test
  void a_name_registered_twice_is_refused_as_on_the_builder() {
    Registrar registrar = Registrar.viewOf(Myxi.builder().exchange("news", Authorizer.allowAll()));

    assertThatThrownBy(() -> registrar.exchange("news", Authorizer.allowAll())).isInstanceOf(IllegalArgumentException.class);
  }
}
