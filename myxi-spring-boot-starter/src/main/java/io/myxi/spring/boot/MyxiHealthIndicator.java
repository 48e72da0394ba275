package io.myxi.spring.boot;

import io.myxi.server.MyxiServer;
import io.myxi.server.NodeHealth;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The node's {@link MyxiServer#health()} as the {@code myxi} component of {@code /actuator/health}:
 * UP when ready, DOWN while the broker is disconnected (the node reconnects by itself), OUT_OF_SERVICE
 * while draining or stopped, UNKNOWN before start. Details: {@code state}, {@code brokerConnected},
 * {@code draining}, {@code sessions}, {@code nodeId}, {@code broker}.
 *
 * <p>To make Kubernetes stop sending connections to a node that lost its broker or is draining,
 * add it to the readiness group: {@code management.endpoint.health.group.readiness.include:
 * readinessState,myxi}. Keep it out of liveness: restarting does not bring a broker back.
 */
public final class MyxiHealthIndicator implements HealthIndicator {
  private final MyxiServer server;

  public MyxiHealthIndicator(MyxiServer server) {
    this.server = server;
  }

  @Override
  public Health health() {
    NodeHealth health = server.health();
    Status status = switch (health.state()) {
      case READY -> Status.UP;
      case BROKER_DISCONNECTED -> Status.DOWN;
      case DRAINING, STOPPED -> Status.OUT_OF_SERVICE;
      case NOT_STARTED -> Status.UNKNOWN;
    };
    return Health.status(status)
        .withDetail("state", health.state().key())
        .withDetail("brokerConnected", health.brokerConnected())
        .withDetail("draining", health.draining())
        .withDetail("sessions", health.sessions())
        .withDetail("nodeId", server.nodeId())
        .withDetail("broker", server.myxi().broker().describe())
        .build();
  }
}
