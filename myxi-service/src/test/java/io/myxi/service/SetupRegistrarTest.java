package io.myxi.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.Authorizer;
import io.myxi.Myxi;
import io.myxi.Registrar;
import org.junit.jupiter.api.Test;

class SetupRegistrarTest {
  @Test
  void registers_on_the_builder_without_handing_it_out() {
    Myxi.Builder builder = Myxi.builder();
    Registrar registrar = new SetupRegistrar(builder);

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
    Registrar registrar = new SetupRegistrar(Myxi.builder().exchange("news", Authorizer.allowAll()));

    assertThatThrownBy(() -> registrar.exchange("news", Authorizer.allowAll())).isInstanceOf(IllegalArgumentException.class);
  }
}
