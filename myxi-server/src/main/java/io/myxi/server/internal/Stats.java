package io.myxi.server.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's counters behind {@link io.myxi.server.NodeStats}; cheap to increment from any thread.
 * Keyed maps are filled with the {@code key()} of the reason enums (and error codes), so their
 * names cannot drift from the reasons the node reports.
 */
final class Stats {
  final LongAdder deliveriesReceived = new LongAdder();
  final LongAdder eventsEncoded = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder recoveries = new LongAdder();
  final Map<String, LongAdder> deliveriesDropped = new ConcurrentHashMap<>();
  final Map<String, LongAdder> errorsSent = new ConcurrentHashMap<>();
  final Map<String, LongAdder> closes = new ConcurrentHashMap<>();

  static void count(Map<String, LongAdder> counters, String key) {
    counters.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((key, value) -> copy.put(key, value.sum()));
    return copy;
  }
}
