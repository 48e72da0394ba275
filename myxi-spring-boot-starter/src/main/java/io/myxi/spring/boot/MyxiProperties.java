package io.myxi.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code myxi.*} properties: the broker, the {@link io.myxi.Myxi} registry's options and the
 * WebSocket node's. Every default is the library's own (see docs/configuration.md for what each
 * limit does).
 */
@ConfigurationProperties("myxi")
public class MyxiProperties {
  /** Prefix of every exchange name on the broker, so applications can share a RabbitMQ vhost. */
  private String exchangePrefix = "";

  /** How long pushEvent waits for the broker to confirm an event. */
  private Duration publishTimeout = Duration.ofSeconds(5);

  private final Broker broker = new Broker();
  private final Server server = new Server();

  public String getExchangePrefix() {
    return exchangePrefix;
  }

  public void setExchangePrefix(String exchangePrefix) {
    this.exchangePrefix = exchangePrefix;
  }

  public Duration getPublishTimeout() {
    return publishTimeout;
  }

  public void setPublishTimeout(Duration publishTimeout) {
    this.publishTimeout = publishTimeout;
  }

  public Broker getBroker() {
    return broker;
  }

  public Server getServer() {
    return server;
  }

  /** The broker that carries events between the application and its nodes. */
  public static class Broker {
    /**
     * The RabbitMQ AMQP URI (amqp:// or amqps://), credentials and vhost included; or "in-process"
     * for a broker inside this JVM (one process only: tests, development).
     */
    private String url = "amqp://guest:guest@127.0.0.1:5672";

    /** The AMQP connection name shown in RabbitMQ's management UI (the publisher's gets -publisher). */
    private String connectionName = "myxi";

    /** First delay before reconnecting after the broker connection is lost; doubles up to max-recovery-delay. */
    private Duration recoveryDelay = Duration.ofMillis(500);

    /** Longest delay between reconnection attempts. */
    private Duration maxRecoveryDelay = Duration.ofSeconds(30);

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getConnectionName() {
      return connectionName;
    }

    public void setConnectionName(String connectionName) {
      this.connectionName = connectionName;
    }

    public Duration getRecoveryDelay() {
      return recoveryDelay;
    }

    public void setRecoveryDelay(Duration recoveryDelay) {
      this.recoveryDelay = recoveryDelay;
    }

    public Duration getMaxRecoveryDelay() {
      return maxRecoveryDelay;
    }

    public void setMaxRecoveryDelay(Duration maxRecoveryDelay) {
      this.maxRecoveryDelay = maxRecoveryDelay;
    }
  }

  /** The WebSocket node this application runs. */
  public static class Server {
    /** Whether this application runs a WebSocket node; false for processes that only push events. */
    private boolean enabled = true;

    /** The WebSocket port (separate from the application's HTTP port); 0 picks a free one. */
    private int port = 5005; // MyxiServer.DEFAULT_PORT, as a literal so that the metadata shows it

    /** The address to listen on; empty for every interface. */
    private String bindAddress;

    /** Origins (https://app.example.com) allowed to open WebSockets; empty allows every origin, with a warning. */
    private List<String> allowedOrigins = new ArrayList<>();

    /** Whether handshakes without an Origin header (non-browser clients) are accepted. */
    private boolean allowMissingOrigin = true;

    /** Proxies (IP literals) whose X-Forwarded-For header is believed. */
    private List<String> trustedProxies = new ArrayList<>();

    /** On shutdown, sessions are closed spread over this window so clients do not reconnect at once. */
    private Duration shutdownWindow = Duration.ofSeconds(5);

    /** How often every subscription is authorized again; 0 disables. */
    private Duration reauthorizeInterval = Duration.ofSeconds(60);

    /** Longest wait for the broker to confirm a binding before Subscribe fails. */
    private Duration bindTimeout = Duration.ofSeconds(10);

    /** Sessions still unauthenticated after this are closed; 0 disables. */
    private Duration authenticationTimeout = Duration.ZERO;

    /** A client silent (no pong) for this long is disconnected. */
    private Duration connectionLostTimeout = Duration.ofSeconds(60);

    /** A connection whose WebSocket handshake is not complete after this is closed. */
    private Duration handshakeTimeout = Duration.ofSeconds(10);

    /** Open connections accepted; 0 for no cap. */
    private int maxConnections;

    /** Largest incoming message in bytes. */
    private int maxMessageBytes = 65536;

    /** Outgoing bytes a session may have waiting before it is closed as a slow consumer. */
    private long maxBufferedBytes = 1048576;

    /** Subscriptions one session may hold. */
    private int maxSubscriptionsPerSession = 1000;

    /** Sustained actions per second per session; 0 disables the limit. */
    private double actionsPerSecond = 50;

    /** Actions a session may send at once above the sustained rate. */
    private int actionBurst = 200;

    /** Threads that run actions and authorizers (which may block). */
    private int workerThreads = 16;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public String getBindAddress() {
      return bindAddress;
    }

    public void setBindAddress(String bindAddress) {
      this.bindAddress = bindAddress;
    }

    public List<String> getAllowedOrigins() {
      return allowedOrigins;
    }

    public void setAllowedOrigins(List<String> allowedOrigins) {
      this.allowedOrigins = allowedOrigins;
    }

    public boolean isAllowMissingOrigin() {
      return allowMissingOrigin;
    }

    public void setAllowMissingOrigin(boolean allowMissingOrigin) {
      this.allowMissingOrigin = allowMissingOrigin;
    }

    public List<String> getTrustedProxies() {
      return trustedProxies;
    }

    public void setTrustedProxies(List<String> trustedProxies) {
      this.trustedProxies = trustedProxies;
    }

    public Duration getShutdownWindow() {
      return shutdownWindow;
    }

    public void setShutdownWindow(Duration shutdownWindow) {
      this.shutdownWindow = shutdownWindow;
    }

    public Duration getReauthorizeInterval() {
      return reauthorizeInterval;
    }

    public void setReauthorizeInterval(Duration reauthorizeInterval) {
      this.reauthorizeInterval = reauthorizeInterval;
    }

    public Duration getBindTimeout() {
      return bindTimeout;
    }

    public void setBindTimeout(Duration bindTimeout) {
      this.bindTimeout = bindTimeout;
    }

    public Duration getAuthenticationTimeout() {
      return authenticationTimeout;
    }

    public void setAuthenticationTimeout(Duration authenticationTimeout) {
      this.authenticationTimeout = authenticationTimeout;
    }

    public Duration getConnectionLostTimeout() {
      return connectionLostTimeout;
    }

    public void setConnectionLostTimeout(Duration connectionLostTimeout) {
      this.connectionLostTimeout = connectionLostTimeout;
    }

    public Duration getHandshakeTimeout() {
      return handshakeTimeout;
    }

    public void setHandshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = handshakeTimeout;
    }

    public int getMaxConnections() {
      return maxConnections;
    }

    public void setMaxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
    }

    public int getMaxMessageBytes() {
      return maxMessageBytes;
    }

    public void setMaxMessageBytes(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    public long getMaxBufferedBytes() {
      return maxBufferedBytes;
    }

    public void setMaxBufferedBytes(long maxBufferedBytes) {
      this.maxBufferedBytes = maxBufferedBytes;
    }

    public int getMaxSubscriptionsPerSession() {
      return maxSubscriptionsPerSession;
    }

    public void setMaxSubscriptionsPerSession(int maxSubscriptionsPerSession) {
      this.maxSubscriptionsPerSession = maxSubscriptionsPerSession;
    }

    public double getActionsPerSecond() {
      return actionsPerSecond;
    }

    public void setActionsPerSecond(double actionsPerSecond) {
      this.actionsPerSecond = actionsPerSecond;
    }

    public int getActionBurst() {
      return actionBurst;
    }

    public void setActionBurst(int actionBurst) {
      this.actionBurst = actionBurst;
    }

    public int getWorkerThreads() {
      return workerThreads;
    }

    public void setWorkerThreads(int workerThreads) {
      this.workerThreads = workerThreads;
    }
  }
}
