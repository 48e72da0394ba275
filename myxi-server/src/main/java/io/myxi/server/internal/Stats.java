package io.myxi.server.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The node's counters; cheap to increment from any thread. */
public final class Stats {
  final LongAdder deliveriesReceived = new LongAdder();
  final LongAdder eventsEncoded = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder recoveries = new LongAdder();
  final Map<String, LongAdder> deliveriesDropped = new ConcurrentHashMap<>();
  final Map<String, LongAdder> errorsSent = new ConcurrentHashMap<>();
  final Map<String, LongAdder> closes = new ConcurrentHashMap<>();

  void count(Map<String, LongAdder> counters, String key) {
    counters.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((key, value) -> copy.put(key, value.sum()));
    return copy;
  }
}
