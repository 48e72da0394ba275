package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeclaredExchangesTest {
  private final List<String> declared = new ArrayList<>();

  /** A channel that records exchange declarations, refusing those of {@code refused}. */
  private Channel channel(String label, String refused) {
    return (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
        (proxy, method, args) -> {
          if (method.getName().equals("exchangeDeclare")) {
            if (args[0].equals(refused)) {
              throw new IOException("406 PRECONDITION_FAILED");
            }
            declared.add(label + ":" + args[0] + " durable=" + args[2] + " autoDelete=" + args[3]);
            return null;
          }
          if (method.getName().equals("equals")) {
            return proxy == args[0];
          }
          if (method.getName().equals("hashCode")) {
            return System.identityHashCode(proxy);
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void declares_each_exchange_once_per_channel_and_again_on_a_new_channel() throws Exception {
    DeclaredExchanges exchanges = new DeclaredExchanges(true, false);
    Channel first = channel("first", null);
    Channel second = channel("second", null);

    exchanges.declare(first, "a");
    exchanges.declare(first, "a");
    exchanges.declare(first, "b");
    exchanges.declare(second, "a"); // A new channel: maybe a new connection to a restarted broker.

    assertThat(declared).containsExactly(
        "first:a durable=true autoDelete=false", "first:b durable=true autoDelete=false", "second:a durable=true autoDelete=false");
  }

  @Test
  void a_refused_declaration_is_not_remembered_and_clear_forgets_everything() throws Exception {
    DeclaredExchanges exchanges = new DeclaredExchanges(false, false);
    Channel refusing = channel("refusing", "bad");
    assertThatThrownBy(() -> exchanges.declare(refusing, "bad")).isInstanceOf(IOException.class);
    exchanges.declare(refusing, "good");
    exchanges.clear();
    exchanges.declare(refusing, "good");
    assertThat(declared).containsExactly("refusing:good durable=false autoDelete=false", "refusing:good durable=false autoDelete=false");
  }
}
