#!/usr/bin/env bash
# Runs one benchmark scenario of myxi-bench from the repository root.
#
#   bench/run.sh s0|s1|s2|s3|s4|s5|all|summarize [options]     (bench/run.sh --help for all options)
#
# Examples (see docs/performance.md):
#   bench/run.sh s0 --clients 1000 --rates 50 --duration 10          # baseline server only
#   bench/run.sh s1                                                  # Myxi demo node, short defaults
#   bench/run.sh all                                                 # quick pass over everything
#   bench/run.sh s1 --node-cmd 'java {flags} -jar /tmp/myxi-examples.jar'
#
# Environment:
#   BENCH_DRIVER_JVM_FLAGS  JVM flags of the load driver (default below)
#   BENCH_NOFILE            open-files limit to raise to (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."

# Every connection is a file descriptor in the driver and in the node (both inherit this limit).
want=${BENCH_NOFILE:-200000}
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
echo "[bench] open files limit: $(ulimit -n)" >&2

JAR=myxi-bench/target/myxi-bench.jar
if [ ! -f "$JAR" ] || [ -n "$(find myxi-bench/src myxi-bench/pom.xml -newer "$JAR" -print -quit)" ]; then
  mvn -q -pl myxi-bench -am package -DskipTests
fi

# The Socket.IO peer (--peer socketio, --with-socketio) needs its npm packages (pinned by its lockfile).
if [[ " $* " == *socketio* ]] && [ ! -d bench/peers/socketio/node_modules ]; then
  (cd bench/peers/socketio && npm ci --no-audit --no-fund)
fi

DRIVER_FLAGS=${BENCH_DRIVER_JVM_FLAGS:--Xms1g -Xmx6g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}
# shellcheck disable=SC2086
exec java $DRIVER_FLAGS -jar "$JAR" "$@"
