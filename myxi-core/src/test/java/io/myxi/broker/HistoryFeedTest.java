package io.myxi.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.myxi.Retention;
import io.myxi.testing.RabbitMqFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link RabbitMqBroker}'s history: publishing to a stream, the live feed and its resume, cursors. */
class HistoryFeedTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final String stream = "myxi.history." + RabbitMqFixture.unique("feed-test");
  private final Retention retention = Retention.maxAge(Duration.ofMinutes(10));
  private final BlockingQueue<HistoryEvent> events = new LinkedBlockingQueue<>();
  private final List<String> resets = new ArrayList<>();
  private RabbitMqBroker broker;

  @BeforeEach
  void start() throws Exception {
    broker = RabbitMqBroker.builder().uri(RabbitMqFixture.uri()).connectionName(RabbitMqFixture.unique("myxi-feed-test")).build();
    assertThat(broker.awaitConnected(WAIT)).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    try (Connection connection = factory.newConnection("myxi-feed-test-admin"); Channel channel = connection.createChannel()) {
      channel.queueDelete(stream);
    }
  }

  private HistoryFeed openFeed() {
    HistoryFeed feed = broker.openHistoryFeed(stream, retention, new HistoryFeed.Listener() {
      @Override
      public void onEvent(HistoryEvent event) {
        events.add(event);
      }

      @Override
      public void onReset(String reason) {
        resets.add(reason);
      }
    });
    await().atMost(WAIT).until(feed::isConnected);
    return feed;
  }

  private void publish(String key, int n) {
    broker.publishToHistory(stream, retention, key, ("{\"event\":\"E\",\"payload\":" + n + "}").getBytes(StandardCharsets.UTF_8), WAIT);
  }

  private HistoryEvent next() throws InterruptedException {
    HistoryEvent event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(event).as("an event within %s", WAIT).isNotNull();
    return event;
  }

  @Test
  void the_feed_reads_from_the_end_and_resumes_after_the_broker_closed_its_channel() throws Exception {
    publish("before", 0);
    HistoryFeed feed = openFeed();
    for (int n = 1; n <= 3; n++) {
      publish("k", n);
    }
    List<Long> offsets = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      HistoryEvent event = next();
      assertThat(event.routingKey()).isEqualTo("k");
      assertThat(new String(event.body(), StandardCharsets.UTF_8)).isEqualTo("{\"event\":\"E\",\"payload\":" + n + "}");
      assertThat(event.tag()).matches("[0-9a-f]{16}");
      offsets.add(event.offset());
    }
    assertThat(offsets).containsExactly(1L, 2L, 3L);
    // A channel error closes the consumer's channel on the broker's side.
    Channel channel = RabbitMqBroker.consumerChannelOf(feed);
    assertThatThrownBy(() -> channel.queueDeclarePassive("no-such-queue-" + stream)).isInstanceOf(java.io.IOException.class);
    for (int n = 4; n <= 6; n++) {
      publish("k", n);
    }
    for (long offset = 4; offset <= 6; offset++) {
      assertThat(next().offset()).isEqualTo(offset);
    }
    assertThat(events.poll(300, TimeUnit.MILLISECONDS)).isNull();
    assertThat(resets).isEmpty();
    assertThat(feed.lastOffset()).isEqualTo(6);
  }

  @Test
  void a_cursor_reads_from_an_offset_and_counts_the_bytes() throws Exception {
    for (int n = 0; n < 10; n++) {
      publish("k" + (n % 2), n);
    }
    long before = broker.historyReadBytes();
    try (HistoryCursor cursor = broker.openHistoryCursor(stream, 4)) {
      for (long offset = 4; offset < 10; offset++) {
        HistoryEvent event = cursor.next(WAIT);
        assertThat(event.offset()).isEqualTo(offset);
        assertThat(event.routingKey()).isEqualTo("k" + (offset % 2));
      }
      assertThat(cursor.next(Duration.ofMillis(300))).isNull();
      assertThat(cursor.bytesRead()).isPositive();
    }
    assertThat(broker.historyReadBytes()).isGreaterThan(before);
  }

  @Test
  void publishing_after_the_stream_was_deleted_declares_it_again_and_stores_the_event() throws Exception {
    publish("k", 1);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(RabbitMqFixture.uri());
    try (Connection connection = factory.newConnection("myxi-feed-test-admin"); Channel channel = connection.createChannel()) {
      channel.queueDelete(stream);
    }
    publish("k", 2);
    try (HistoryCursor cursor = broker.openHistoryCursor(stream, 0)) {
      HistoryEvent event = cursor.next(WAIT);
      assertThat(event.offset()).isZero();
      assertThat(new String(event.body(), StandardCharsets.UTF_8)).contains("2");
    }
  }
}
