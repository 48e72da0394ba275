package io.myxi.server;

import java.util.Locale;

/**
 * A node's health at one moment, for load balancers, orchestrators and health endpoints: read it
 * with {@link MyxiServer#health()}.
 *
 * <p>Mapping it to probes: a node is <em>ready</em> (send it new connections) only in {@link
 * State#READY}. It is <em>alive</em> in every state but {@link State#STOPPED}: a node whose broker
 * is down reconnects by itself, so restarting it does not help.
 *
 * @param state the node's life-cycle state
 * @param brokerConnected whether the node queue is connected to the broker (false before start and
 *     after stop)
 * @param sessions open sessions (0 before start and after stop)
 */
public record NodeHealth(State state, boolean brokerConnected, int sessions) {

  /** The node's life cycle, in order; a node may go from READY to BROKER_DISCONNECTED and back. */
  public enum State {
    /** Built, {@link MyxiServer#start()} not called yet. */
    NOT_STARTED,
    /**
     * Listening, but the node queue is not connected: connecting at start, or reconnecting after
     * a broker outage. Clients may connect; {@code Subscribe} answers {@code BrokerUnavailable}
     * once its bind timeout passes.
     */
    BROKER_DISCONNECTED,
    /** Listening with the node queue connected: serves clients fully. */
    READY,
    /** {@link MyxiServer#stop()} is closing the sessions over the shutdown window; new connections are refused. */
    DRAINING,
    /** Stopped: no longer listening, node queue deleted. */
    STOPPED;

    /** The state as a lower-case key ({@code broker_disconnected}) for JSON and metric tags. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Whether the node should get new connections: {@link State#READY}. */
  public boolean ready() {
    return state == State.READY;
  }

  /** Whether the node is closing its sessions before it stops. */
  public boolean draining() {
    return state == State.DRAINING;
  }

  /** The health of a started node: draining when it stops or drains, else by its broker connection. */
  static NodeHealth of(boolean running, boolean draining, NodeStats stats) {
    State state;
    if (!running || draining) {
      state = State.DRAINING;
    } else {
      state = stats.brokerConnected() ? State.READY : State.BROKER_DISCONNECTED;
    }
    return new NodeHealth(state, stats.brokerConnected(), stats.sessions());
  }
}
