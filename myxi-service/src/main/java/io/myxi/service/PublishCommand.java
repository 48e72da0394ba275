package io.myxi.service;

import static io.myxi.service.Cli.BAD_CONFIGURATION;
import static io.myxi.service.Cli.DEFAULT_ADMIN_URL;
import static io.myxi.service.Cli.FAILED;
import static io.myxi.service.Cli.MAPPER;
import static io.myxi.service.Cli.OK;
import static io.myxi.service.Cli.printStackTraceIfDebug;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myxi.broker.BrokerException;
import io.myxi.broker.RabbitMqBroker;
import io.myxi.service.Cli.ConfigOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code publish}: one event, through a node's admin API or straight to RabbitMQ. */
@Command(name = "publish", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, versionProvider = Cli.VersionProvider.class,
    description = {"Pushes one event to the sessions subscribed to ROUTING_KEY of EXCHANGE.",
        "Waits for RabbitMQ's confirm.",
        "Through a node's admin API with --admin-url (or env MYXI_ADMIN_URL), else straight to RabbitMQ."})
final class PublishCommand extends ConfigOptions implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "EXCHANGE")
  String exchange;

  @Parameters(index = "1", paramLabel = "ROUTING_KEY")
  String routingKey;

  @Parameters(index = "2", paramLabel = "EVENT")
  String event;

  @Parameters(index = "3", arity = "0..1", paramLabel = "PAYLOAD_JSON", description = "the payload (default: null)")
  String payload;

  @Option(names = "--admin-url", paramLabel = "URL", description = "publish through this node's admin API, such as " + DEFAULT_ADMIN_URL)
  String adminUrl;

  @Option(names = "--config", paramLabel = "FILE", description = "for RabbitMQ: take broker.* and exchange_prefix from this file")
  Path config;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    JsonNode payloadNode;
    try {
      payloadNode = payload == null ? MAPPER.nullNode() : MAPPER.readTree(payload);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      err.println("myxi-server: PAYLOAD_JSON is not JSON: " + e.getOriginalMessage());
      return BAD_CONFIGURATION;
    }
    String admin = adminUrl != null ? adminUrl : environment.get("MYXI_ADMIN_URL");
    if (admin != null && !admin.isBlank()) {
      return throughAdmin(admin, payloadNode);
    }
    Config effective;
    try {
      effective = load(config);
    } catch (ConfigException e) {
      return invalid(e);
    }
    return throughRabbitMq(effective, payloadNode);
  }

  private int throughAdmin(String admin, JsonNode payloadNode) throws InterruptedException {
    ObjectNode body = MAPPER.createObjectNode().put("exchange", exchange).put("routing_key", routingKey).put("event", event);
    body.set("payload", payloadNode);
    String token = AdminClient.adminToken(spec, environment);
    HttpResponse<String> response;
    try {
      response = AdminClient.send(admin, "/publish", "POST", body.toString(), token);
    } catch (IOException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("myxi-server: cannot reach the admin API at " + admin + ": " + AdminClient.describe(e));
      return FAILED;
    }
    if (response.statusCode() == 202) {
      spec.commandLine().getOut().println("published (confirmed by RabbitMQ)");
      return OK;
    }
    spec.commandLine().getErr().println("myxi-server: HTTP " + response.statusCode() + " " + response.body());
    return response.statusCode() >= 400 && response.statusCode() < 500 ? BAD_CONFIGURATION : FAILED;
  }

  private int throughRabbitMq(Config effective, JsonNode payloadNode) throws IOException {
    if (effective.inProcessBroker()) {
      spec.commandLine().getErr().println("myxi-server: broker.url is in-process: publish through a node with --admin-url");
      return BAD_CONFIGURATION;
    }
    ObjectNode body = MAPPER.createObjectNode().put("event", event);
    body.set("payload", payloadNode);
    RabbitMqBroker broker;
    try {
      // With broker.routing_buckets the event must be routed by bucket, as the nodes bind them.
      broker = StandaloneNode.packing(effective, RabbitMqBroker.builder()
          .uris(effective.brokerUrls())
          .connectionTimeout(effective.duration(ConfigKeys.BROKER_CONNECTION_TIMEOUT))
          .exchangeDurable(effective.bool(ConfigKeys.BROKER_EXCHANGE_DURABLE))
          .exchangeAutoDelete(effective.bool(ConfigKeys.BROKER_EXCHANGE_AUTO_DELETE))
          .connectionName("myxi-server publish"))
          .build();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("myxi-server: broker.url: " + e.getMessage());
      return BAD_CONFIGURATION;
    }
    try {
      String brokerExchange = effective.string(ConfigKeys.EXCHANGE_PREFIX) + exchange;
      io.myxi.Retention history = effective.exchanges().stream()
          .filter(rule -> rule.name().equals(exchange) && rule.history() != null)
          .map(ExchangeRule::history).findFirst().orElse(null);
      if (history != null) {
        // As Myxi.pushEvent does: into the exchange's history stream, which the nodes read.
        broker.publishToHistory(io.myxi.ExchangeDefinition.HISTORY_STREAM_PREFIX + brokerExchange, history, routingKey,
            MAPPER.writeValueAsBytes(body), effective.duration(ConfigKeys.BROKER_PUBLISH_TIMEOUT));
      } else {
        broker.publish(brokerExchange, routingKey, MAPPER.writeValueAsBytes(body), effective.duration(ConfigKeys.BROKER_PUBLISH_TIMEOUT));
      }
      spec.commandLine().getOut().println("published (confirmed by RabbitMQ)");
      return OK;
    } catch (BrokerException e) {
      String hint = String.valueOf(e.getMessage()).contains("ACCESS_REFUSED") ? "; check the user and password of broker.url (or RABBITMQ_URL)" : "";
      spec.commandLine().getErr().println("myxi-server: not published: " + e.getMessage() + hint);
      printStackTraceIfDebug(spec, e);
      return FAILED;
    } finally {
      broker.close();
    }
  }
}
