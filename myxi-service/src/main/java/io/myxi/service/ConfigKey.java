package io.myxi.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One setting of the runnable server: its name in the file, its environment variables, its flag,
 * its type and default. {@link ConfigKeys#ALL} is the single list that the loader, the CLI flags,
 * {@code check-config} and the documentation test all read.
 *
 * @param name dotted name, as nested in the YAML file ({@code broker.heartbeat})
 * @param type how values are parsed and checked
 * @param defaultValue the default in the file's notation, or null for "not set"
 * @param secret whether {@code check-config} and logs mask it
 * @param extraEnv environment variables read after {@link #env()}, in order ({@code PORT})
 * @param description one line for {@code --help} and the docs
 * @param min the smallest value of an {@link Type#INT}, {@link Type#DECIMAL} or {@link Type#SIZE} (bytes) key, or the
 *     shortest of a {@link Type#DURATION} key in milliseconds
 * @param max the largest, likewise
 */
public record ConfigKey(String name, Type type, String defaultValue, boolean secret, List<String> extraEnv, String description, List<String> choices,
    long min, long max) {

  /** How a key's values are written and checked. */
  public enum Type {
    STRING, INT, DECIMAL, BOOLEAN, DURATION, SIZE, LIST, CHOICE, PATH, EXCHANGES
  }

  /** {@code MYXI_} and the name in upper case, dots as underscores: {@code MYXI_BROKER_HEARTBEAT}. */
  public String env() {
    return "MYXI_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** Every environment variable that sets this key, strongest first. */
  public List<String> envNames() {
    List<String> names = new ArrayList<>();
    names.add(env());
    names.addAll(extraEnv);
    return names;
  }

  /** {@code --} and the name with dots and underscores as dashes: {@code --broker-heartbeat}. */
  public String flag() {
    return "--" + name.replace('.', '-').replace('_', '-');
  }

  static ConfigKey of(String name, Type type, String defaultValue, String description) {
    return new ConfigKey(name, type, defaultValue, false, List.of(), description, List.of(), Long.MIN_VALUE, Long.MAX_VALUE);
  }

  ConfigKey masked() {
    return new ConfigKey(name, type, defaultValue, true, extraEnv, description, choices, min, max);
  }

  ConfigKey alsoEnv(String... names) {
    return new ConfigKey(name, type, defaultValue, secret, List.of(names), description, choices, min, max);
  }

  ConfigKey range(long low, long high) {
    return new ConfigKey(name, type, defaultValue, secret, extraEnv, description, choices, low, high);
  }

  ConfigKey choices(String... values) {
    return new ConfigKey(name, type, defaultValue, secret, extraEnv, description, List.of(values), min, max);
  }
}
