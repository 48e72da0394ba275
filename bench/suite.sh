#!/usr/bin/env bash
# Runs every scenario one after another (never in parallel: they share 2 cores) and prints the
# summary of all of them. Results: bench/results/suite-<stamp>.jsonl (one JSON line per run).
#
#   NODE_JAR=/tmp/myxi-examples.jar bench/suite.sh            # short windows (about 45-60 min)
#   NODE_JAR=... FULL=1 bench/suite.sh                        # long windows (several hours)
#   SCENARIOS="s1 s4" bench/suite.sh                          # a subset
#   SCENARIOS="s1io s2io s3io s4 publish" bench/suite.sh      # issue 11: Myxi and Socket.IO side by side
#   SCENARIOS="s2packed s3packed" bench/suite.sh              # s2io / s3io with packed publishing and 256 routing buckets
#   SCENARIOS="s3warm s3cold" bench/suite.sh                  # s3packed with Netty load clients, on a warmed / a cold node
#   SCENARIOS="s3fresh" bench/suite.sh                        # ... on a node restarted after the driver's warm-up
#   SCENARIOS="s2netty" bench/suite.sh                        # s2packed with Netty load clients
#                                                             # (s2packed and s2steady: 20 s warm-up, 20 s windows)
# S1 runs with --paired-baseline: every S1 run is preceded by the S0 run at the same point.
set -uo pipefail
cd "$(dirname "$0")/.."
NODE_JAR=${NODE_JAR:-myxi-examples/target/myxi-examples.jar}
SCENARIOS=${SCENARIOS:-"s1 s2 s3 s4 s5"}
OUT=${OUT:-bench/results/suite-$(date -u +%Y%m%d-%H%M%S).jsonl}
if [ -n "${FULL:-}" ]; then
  W="--warmup 30 --duration 60 --runs 5"; CHURN=60; IDLE=60; S5="--duration 120"
else
  W="--warmup 5 --duration 10 --runs 3"; CHURN=60; IDLE=30; S5="--duration 20"
fi
# Per-event CPU is a steady-state figure: the node's JIT still compiles during the first ~20 s.
WSTEADY=${WSTEADY:-"--warmup 20 --duration 20 --runs 3"}
run() { echo "== bench/run.sh $*" >&2; bench/run.sh "$@" --out "$OUT" || echo "[suite] $1 exited $?" >&2; }
for s in $SCENARIOS; do
  case $s in
    s0) run s0 $W ;;
    s1) run s1 --paired-baseline --node-jar "$NODE_JAR" $W ;;
    s2) run s2 --node-jar "$NODE_JAR" $W ;;
    s3) run s3 --node-jar "$NODE_JAR" --warmup 5 --runs 3 --churn-duration $CHURN ;;
    s4) run s4 --node-jar "$NODE_JAR" --runs 3 --idle $IDLE ;;
    # Issue 11 (docs/performance.md, "Per-event cost"): the same points against the Socket.IO peer in the same run.
    s1io) run s1 --paired-baseline --with-socketio --node-jar "$NODE_JAR" --clients 1000,5000 --rates 50 $W ;;
    s2io) run s2 --with-socketio --node-jar "$NODE_JAR" --clients 2000 --rates 10000 $W ;;
    s3io) for n in 2000 5000; do run s3 --with-socketio --own-keys --node-jar "$NODE_JAR" --clients $n --warmup 5 --runs 3 --churn-duration 20; done ;;
    # Packed publishing and routing buckets (RabbitMqBroker.Builder.packedPublishing / routingBuckets): the publisher
    # goes through Myxi with the options, and the node gets them as MYXI_PACKED_PUBLISHING / MYXI_ROUTING_BUCKETS.
    s2packed) run s2 --with-socketio --publisher myxi --pack-delay-ms 1 --routing-buckets 256 --node-jar "$NODE_JAR" --clients 2000 --rates 10000 $WSTEADY ;;
    s2steady) run s2 --with-socketio --node-jar "$NODE_JAR" --clients 2000 --rates 10000 $WSTEADY ;;
    s3packed) for n in 2000 5000; do run s3 --with-socketio --own-keys --routing-buckets 256 --node-jar "$NODE_JAR" --clients $n --warmup 5 --runs 3 --churn-duration 20; done ;;
    # The storm with Netty load clients (far less driver CPU than the JDK's) on a node warmed by 5,000 throwaway
    # set-ups (nothing left bound): the figure of a node that has run a while, not of a cold JVM.
    s3warm) for n in 2000 5000; do run s3 --client netty --connect-warmup 5000 --with-socketio --own-keys --routing-buckets 256 --node-jar "$NODE_JAR" --clients $n --warmup 5 --runs 3 --churn-duration 20; done ;;
    # S2 with Netty load clients (issue 11's per-event bars): packed 1 ms and 256 buckets, Socket.IO alternating.
    s2netty) run s2 --client netty --with-socketio --publisher myxi --pack-delay-ms 1 --routing-buckets 256 --node-jar "$NODE_JAR" --clients 2000 --rates 10000 $WSTEADY ;;
    s3cold) for n in 2000 5000; do run s3 --client netty --with-socketio --own-keys --routing-buckets 256 --node-jar "$NODE_JAR" --clients $n --warmup 5 --runs 3 --churn-duration 20; done ;;
    # A freshly started node (and Socket.IO process) met by a warm driver: the storm of every client reconnecting
    # after a restart, without the driver's own JIT on the same cores (s3cold has both cold).
    s3fresh) for n in 2000 5000; do run s3 --client netty --connect-warmup 5000 --fresh-node --with-socketio --own-keys --routing-buckets 256 --node-jar "$NODE_JAR" --clients $n --warmup 5 --runs 3 --churn-duration 20; done ;;
    publish) run publish --events 200000 --batch 1,100 --runs 3 ;;
    s5) run s5 --node-jar "$NODE_JAR" --warmup 5 $S5 --runs 3 --payload-pad 1024 --client-rcvbuf 65536 ;;
    *) echo "unknown scenario $s" >&2 ;;
  esac
done
echo "== results: $OUT"
java -jar myxi-bench/target/myxi-bench.jar summarize "$OUT"
