package io.myxi.broker.internal;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DnsRecordIpAddressResolver;
import com.rabbitmq.client.ListAddressResolver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;

/**
 * The RabbitMQ nodes a broker may connect to, and in which order it tries them. Every new
 * connection (the node queues' and the publisher's, at start and after each loss) goes through
 * the AMQP client's {@link AddressResolver}: the client tries the addresses one after the other
 * until one accepts, so a stopped cluster node costs one refused connect, a silent one the
 * connection timeout.
 *
 * <p>Shuffled (the client's default, so the nodes of many Myxi nodes spread over the cluster) or
 * in the order given (the first reachable one wins, so operators can prefer a node).
 *
 * @param addresses host and port of each broker node, at least one
 * @param shuffle whether each connection attempt tries them in a new random order
 * @param description the URIs without their passwords, for logs and messages
 */
public record BrokerAddresses(List<Address> addresses, boolean shuffle, String description) {
  public BrokerAddresses {
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one RabbitMQ address is required");
    }
    Objects.requireNonNull(description, "description");
  }

  /** The same addresses tried in the order given ({@code false}) or shuffled ({@code true}). */
  public BrokerAddresses withShuffle(boolean shuffleAddresses) {
    return new BrokerAddresses(addresses, shuffleAddresses, description);
  }

  /**
   * Opens a connection to the first address that accepts. Shuffled, through the client's own
   * {@code newConnection(List<Address>, name)} (which also honours a factory's shared executor);
   * in order, through a resolver that does not shuffle.
   */
  public Connection connect(ConnectionFactory factory, String connectionName) throws IOException, TimeoutException {
    if (shuffle) {
      return factory.newConnection(addresses, connectionName);
    }
    return factory.newConnection(null, inOrder(), connectionName);
  }

  /**
   * As {@link #connect(ConnectionFactory, String)}, with the consumers' callbacks run by {@code
   * consumerExecutor} (in place of the factory's shared executor or a pool of the connection's own).
   * Shuffled, the addresses are resolved as the client's {@code newConnection(List<Address>, name)}
   * resolves them: one address through DNS, every IP address of its host tried in turn.
   */
  public Connection connect(ConnectionFactory factory, String connectionName, ExecutorService consumerExecutor)
      throws IOException, TimeoutException {
    AddressResolver resolver;
    if (!shuffle) {
      resolver = inOrder();
    } else if (addresses.size() == 1) {
      resolver = new DnsRecordIpAddressResolver(addresses.get(0), factory.isSSL());
    } else {
      resolver = new ListAddressResolver(addresses);
    }
    return factory.newConnection(consumerExecutor, resolver, connectionName);
  }

  private AddressResolver inOrder() {
    return new ListAddressResolver(addresses) {
      @Override
      public List<Address> maybeShuffle(List<Address> input) {
        return input; // The client's default shuffles.
      }
    };
  }

  /** The one address of a factory configured by hand. */
  public static BrokerAddresses of(ConnectionFactory factory) {
    String description = (factory.isSSL() ? "amqps://" : "amqp://") + factory.getHost() + ":" + factory.getPort() + "/" + factory.getVirtualHost();
    return new BrokerAddresses(List.of(new Address(factory.getHost(), factory.getPort())), true, description);
  }

  /**
   * Parses AMQP URIs that name nodes of one cluster: they must agree on everything but host and
   * port (scheme, user, password, virtual host), since one connection factory, configured from the
   * first URI, connects to all of them. Query parameters are read from the first URI only (and the
   * builder's timeouts and heartbeat replace them anyway).
   *
   * @return the factory configured from the first URI, and the addresses of all of them
   * @throws IllegalArgumentException naming the URI (password hidden) that does not parse or disagrees
   */
  public static Parsed parse(List<String> uris) {
    Objects.requireNonNull(uris, "uris == null");
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("at least one RabbitMQ URI is required");
    }
    ConnectionFactory first = null;
    List<Address> addresses = new ArrayList<>();
    List<String> redacted = new ArrayList<>();
    for (String uri : uris) {
      Objects.requireNonNull(uri, "uri == null");
      ConnectionFactory factory = factoryOf(uri.trim());
      if (first == null) {
        first = factory;
      } else {
        String disagreement = disagreement(first, factory);
        if (disagreement != null) {
          throw new IllegalArgumentException("RabbitMQ URIs of one broker must differ only in host and port: "
              + AmqpUris.redact(uri.trim()) + " has another " + disagreement + " than " + redacted.get(0));
        }
      }
      Address address = new Address(factory.getHost(), factory.getPort());
      if (addresses.contains(address)) {
        throw new IllegalArgumentException("RabbitMQ URI given twice: " + AmqpUris.redact(uri.trim()));
      }
      addresses.add(address);
      redacted.add(AmqpUris.redact(uri.trim()));
    }
    return new Parsed(first, new BrokerAddresses(addresses, true, String.join(", ", redacted)));
  }

  /** What {@link #parse} found: the factory configured from the first URI, and every address. */
  public record Parsed(ConnectionFactory factory, BrokerAddresses addresses) {}

  /** What two factories differ in, besides host and port, or null. Never quotes a password. */
  static String disagreement(ConnectionFactory a, ConnectionFactory b) {
    if (a.isSSL() != b.isSSL()) {
      return "scheme (amqp:// or amqps://)";
    }
    if (!Objects.equals(a.getUsername(), b.getUsername())) {
      return "user";
    }
    if (!Objects.equals(a.getPassword(), b.getPassword())) {
      return "password";
    }
    if (!Objects.equals(a.getVirtualHost(), b.getVirtualHost())) {
      return "virtual host";
    }
    return null;
  }

  private static ConnectionFactory factoryOf(String uri) {
    // The client library takes a URI whose host does not parse as "localhost, guest": refuse it.
    String authorityProblem = AmqpUris.authorityProblem(uri);
    if (authorityProblem != null) {
      throw new IllegalArgumentException("invalid RabbitMQ URI: " + AmqpUris.redact(uri) + " (" + authorityProblem + ")");
    }
    ConnectionFactory fresh = new ConnectionFactory();
    try {
      fresh.setUri(uri);
    } catch (Exception e) {
      // Not chained: the parser's exception quotes the URI, password included.
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replace(uri, AmqpUris.redact(uri));
      String password = AmqpUris.password(uri);
      if (!password.isEmpty()) {
        reason = reason.replace(password, "***");
      }
      throw new IllegalArgumentException("invalid RabbitMQ URI: " + AmqpUris.redact(uri) + " (" + reason + ")");
    }
    return fresh;
  }
}
