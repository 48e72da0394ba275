package io.myxi.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myxi.broker.BrokerException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The supervisor without a network: a fake connector, a fake participant and virtual time. Every
 * delay is checked exactly (no jitter), nothing waits.
 */
class ConnectionSupervisorTest {
  private final FakeScheduler scheduler = new FakeScheduler();
  private final FakeConnector connector = new FakeConnector();
  private final ConnectionSupervisor<FakeConnection> supervisor = new ConnectionSupervisor<>(
      connector, scheduler, Backoff.withoutJitter(Duration.ofMillis(100), Duration.ofSeconds(1)), "amqp://fake");
  private final FakeParticipant participant = new FakeParticipant();

  static final class FakeConnection {
    final int number;
    final Connector.LossListener<FakeConnection> onLost;
    volatile boolean open = true;

    FakeConnection(int number, Connector.LossListener<FakeConnection> onLost) {
      this.number = number;
      this.onLost = onLost;
    }

    /** The connection dies, reported as the AMQP client would: on its own thread. */
    void dieOnAnotherThread(String reason) throws InterruptedException {
      open = false;
      Thread clientThread = new Thread(() -> onLost.lost(this, reason), "fake-amqp-connection");
      clientThread.start();
      clientThread.join();
    }
  }

  static final class FakeConnector implements Connector<FakeConnection> {
    final Deque<Exception> failures = new ArrayDeque<>();
    final List<FakeConnection> opened = new ArrayList<>();
    int attempts;

    @Override
    public FakeConnection open(LossListener<FakeConnection> onLost) throws Exception {
      attempts++;
      Exception failure = failures.poll();
      if (failure != null) {
        throw failure;
      }
      FakeConnection connection = new FakeConnection(opened.size() + 1, onLost);
      opened.add(connection);
      return connection;
    }

    @Override
    public boolean isOpen(FakeConnection connection) {
      return connection.open;
    }

    @Override
    public void abort(FakeConnection connection) {
      if (connection.open) {
        connection.open = false;
        connection.onLost.lost(connection, "aborted");
      }
    }

    void failNext(int times) {
      for (int i = 0; i < times; i++) {
        failures.add(new ConnectException("Connection refused"));
      }
    }
  }

  /** Records what the supervisor asks, and checks it asks on its own thread. */
  final class FakeParticipant implements ConnectionSupervisor.Participant<FakeConnection> {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    int restoreFailures;

    @Override
    public void restore(FakeConnection connection) throws IOException {
      assertThat(scheduler.onSchedulerThread()).as("restore on the recovery thread").isTrue();
      if (restoreFailures > 0) {
        restoreFailures--;
        events.add("restore failed on #" + connection.number);
        throw new IOException("queue.declare refused");
      }
      events.add("restored on #" + connection.number);
    }

    @Override
    public void lost(String reason) {
      assertThat(scheduler.onSchedulerThread()).as("lost on the recovery thread").isTrue();
      events.add("lost: " + reason);
    }

    @Override
    public void recovered(Instant downSince, Instant upAt) {
      assertThat(scheduler.onSchedulerThread()).as("recovered on the recovery thread").isTrue();
      events.add("recovered: down at " + downSince.toEpochMilli() + ", up at " + upAt.toEpochMilli());
    }

    @Override
    public void close() {
      events.add("closed");
    }
  }

  @Test
  void connects_in_the_background_and_restores_each_participant() {
    supervisor.register(participant);
    assertThat(supervisor.isConnected()).as("nothing runs on the caller's thread").isFalse();

    scheduler.runUntilIdle();

    assertThat(supervisor.isConnected()).isTrue();
    assertThat(supervisor.current()).isSameAs(connector.opened.get(0));
    assertThat(participant.events).containsExactly("restored on #1");
    assertThat(scheduler.scheduledDelays).isEmpty();
  }

  @Test
  void absent_broker_is_retried_with_growing_capped_delays() {
    connector.failNext(6);
    supervisor.register(participant);

    scheduler.runUntilIdle();
    assertThat(connector.attempts).isEqualTo(1);
    assertThat(supervisor.lastFailure()).isEqualTo("ConnectException: Connection refused");
    scheduler.advance(99);
    assertThat(connector.attempts).as("not before the first delay").isEqualTo(1);
    scheduler.advance(10_000);

    assertThat(scheduler.scheduledDelays).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L);
    assertThat(connector.attempts).isEqualTo(7);
    assertThat(supervisor.isConnected()).isTrue();
    assertThat(participant.events).containsExactly("restored on #1");
    assertThat(supervisor.reconnects()).as("a first connection is no reconnection").isZero();
  }

  @Test
  void a_loss_is_handed_to_the_recovery_thread_which_restores_the_topology() throws Exception {
    supervisor.register(participant);
    scheduler.runUntilIdle();
    FakeConnection first = connector.opened.get(0);
    scheduler.advance(5_000);

    first.dieOnAnotherThread("connection closed: 320 CONNECTION_FORCED");

    assertThat(participant.events).as("the client thread only queues the loss").containsExactly("restored on #1");
    assertThat(scheduler.scheduledDelays).isEmpty();
    scheduler.runUntilIdle();
    assertThat(participant.events).containsExactly("restored on #1", "lost: connection closed: 320 CONNECTION_FORCED");
    assertThat(supervisor.current()).isNull();
    assertThat(supervisor.lastFailure()).isEqualTo("connection closed: 320 CONNECTION_FORCED");

    scheduler.advance(100);

    assertThat(participant.events).containsExactly("restored on #1", "lost: connection closed: 320 CONNECTION_FORCED",
        "restored on #2", "recovered: down at 5000, up at 5100");
    assertThat(supervisor.current()).isSameAs(connector.opened.get(1));
    assertThat(supervisor.reconnects()).isEqualTo(1);
  }

  @Test
  void failures_during_an_outage_grow_the_delay_and_success_resets_it() throws Exception {
    supervisor.register(participant);
    scheduler.runUntilIdle();

    connector.failNext(3);
    connector.opened.get(0).dieOnAnotherThread("gone");
    scheduler.advance(10_000);
    assertThat(scheduler.scheduledDelays).containsExactly(100L, 200L, 400L, 800L);
    assertThat(supervisor.reconnects()).isEqualTo(1);
    assertThat(participant.events).containsExactly("restored on #1", "lost: gone", "restored on #2", "recovered: down at 0, up at 1500");

    connector.opened.get(1).dieOnAnotherThread("gone again");
    scheduler.advance(10_000);
    assertThat(scheduler.scheduledDelays).as("back to the first delay").containsExactly(100L, 200L, 400L, 800L, 100L);
    assertThat(supervisor.reconnects()).isEqualTo(2);
  }

  @Test
  void a_reconnection_whose_restore_fails_is_dropped_and_retried_later() throws Exception {
    supervisor.register(participant);
    scheduler.runUntilIdle();
    participant.restoreFailures = 1;

    connector.opened.get(0).dieOnAnotherThread("gone");
    scheduler.advance(10_000);

    assertThat(scheduler.scheduledDelays).containsExactly(100L, 200L);
    assertThat(connector.opened.get(1).open).as("the half-restored connection is dropped").isFalse();
    assertThat(participant.events).containsExactly(
        "restored on #1", "lost: gone", "restore failed on #2", "restored on #3", "recovered: down at 0, up at 300");
    assertThat(supervisor.reconnects()).isEqualTo(1);
  }

  @Test
  void a_participant_that_cannot_restore_drops_the_connection_for_a_retry() {
    participant.restoreFailures = 1;
    supervisor.register(participant);

    scheduler.runUntilIdle();
    assertThat(connector.opened.get(0).open).as("dropped").isFalse();
    assertThat(supervisor.lastFailure()).isEqualTo("IOException: queue.declare refused");
    scheduler.advance(100);

    assertThat(participant.events).containsExactly("restore failed on #1", "restored on #2");
    assertThat(supervisor.current()).isSameAs(connector.opened.get(1));
  }

  @Test
  void a_participant_registered_later_that_cannot_restore_drops_the_connection_for_everyone() {
    supervisor.register(participant);
    scheduler.runUntilIdle();
    FakeParticipant late = new FakeParticipant();
    late.restoreFailures = 1;

    supervisor.register(late);
    scheduler.advance(100);

    assertThat(late.events).containsExactly("restore failed on #1", "lost: aborted", "restored on #2", "recovered: down at 0, up at 100");
    assertThat(participant.events).containsExactly("restored on #1", "lost: aborted", "restored on #2", "recovered: down at 0, up at 100");
    assertThat(supervisor.current()).isSameAs(connector.opened.get(1));
  }

  @Test
  void the_late_loss_of_an_old_connection_changes_nothing() throws Exception {
    supervisor.register(participant);
    scheduler.runUntilIdle();
    FakeConnection first = connector.opened.get(0);
    first.dieOnAnotherThread("gone");
    scheduler.advance(100);

    first.dieOnAnotherThread("gone, reported twice");
    scheduler.advance(10_000);

    assertThat(supervisor.current()).isSameAs(connector.opened.get(1));
    assertThat(participant.events).containsExactly("restored on #1", "lost: gone", "restored on #2", "recovered: down at 0, up at 100");
    assertThat(connector.attempts).isEqualTo(2);
  }

  @Test
  void a_participant_unregistered_before_its_registration_ran_is_never_restored() {
    supervisor.register(participant);
    supervisor.unregister(participant);

    scheduler.runUntilIdle();

    assertThat(supervisor.isConnected()).isTrue();
    assertThat(participant.events).isEmpty();
  }

  @Test
  void close_stops_the_loop_and_closes_participants_and_the_connection() throws Exception {
    connector.failNext(2);
    supervisor.register(participant);
    scheduler.runUntilIdle();
    assertThat(scheduler.pending()).as("a retry is scheduled").isEqualTo(1);

    supervisor.close();
    supervisor.close();
    scheduler.advance(Duration.ofHours(1).toMillis());

    assertThat(connector.attempts).isEqualTo(1);
    assertThat(scheduler.isShutdown()).isTrue();
    assertThat(participant.events).containsExactly("closed");
    assertThatThrownBy(supervisor::start).isInstanceOf(BrokerException.class).hasMessage("RabbitMQ broker is closed");
  }

  @Test
  void close_while_connected_aborts_the_connection_and_ignores_its_loss() {
    supervisor.register(participant);
    scheduler.runUntilIdle();
    FakeConnection first = connector.opened.get(0);

    supervisor.close();

    assertThat(first.open).isFalse();
    assertThat(supervisor.isConnected()).isFalse();
    assertThat(participant.events).containsExactly("restored on #1", "closed");
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void await_connected_gives_up_after_its_timeout() throws Exception {
    connector.failNext(1);
    assertThat(supervisor.awaitConnected(Duration.ofMillis(20))).isFalse();
    scheduler.runUntilIdle();
    scheduler.advance(100);
    assertThat(supervisor.awaitConnected(Duration.ofMillis(20))).isTrue();
  }
}
