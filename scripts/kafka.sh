#!/usr/bin/env bash
# kafka.sh — a real single-node Apache Kafka (KRaft, broker+controller) on
# 127.0.0.1, run from the official jars on Maven Central. No Docker, no
# tarball: Maven resolves the jars (scripts/kafka/pom.xml), Java 17 runs them.
#
#   scripts/kafka.sh fetch            resolve the jars into .cache/kafka/<version>/libs
#   scripts/kafka.sh up [--keep]      format a data dir, start the broker, wait until ready,
#                                     print "export KAFKA_BROKERS=127.0.0.1:PORT" on stdout
#                                     (--keep: reuse the existing data dir; format only if empty)
#   scripts/kafka.sh down             stop it by its PID (TERM, then KILL after KAFKA_STOP_TIMEOUT)
#   scripts/kafka.sh restart          down, then up --keep (same data: for broker-restart tests)
#   scripts/kafka.sh status           exit 0 and print the address when running, exit 3 when not
#   scripts/kafka.sh addr             print the bootstrap address (host:port) of the running broker
#   scripts/kafka.sh logs [N]         print the last N (default 100) lines of the broker log
#
# Environment (defaults in brackets):
#   KAFKA_VERSION          [4.4.0]  org.apache.kafka:kafka_2.13 version
#   KAFKA_PORT             [19092]  PLAINTEXT port; 0 picks a free port
#   KAFKA_CONTROLLER_PORT  [19093]  CONTROLLER port; 0 picks a free port
#   KAFKA_DATA             [.cache/kafka/run]  run dir: data/, server.properties, kafka.log, kafka.pid
#   KAFKA_PARTITIONS       [1]      num.partitions for topics created without a count
#   KAFKA_HEAP_OPTS        [-Xms256m -Xmx768m]
#   KAFKA_START_TIMEOUT    [90]     seconds to wait for "Kafka Server started" and the port
#   KAFKA_STOP_TIMEOUT     [30]     seconds to wait after TERM before KILL
#   KAFKA_M2_REPO          [Maven's default, ~/.m2/repository]  local Maven repository for fetch
#
# Everything but the address line goes to stderr, so
#   eval "$(scripts/kafka.sh up)"
# exports KAFKA_BROKERS into the calling shell.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${KAFKA_VERSION:-4.4.0}
CACHE=$ROOT/.cache/kafka
LIBS=$CACHE/$VERSION/libs
STAMP=$CACHE/$VERSION/libs.stamp
POM=$ROOT/scripts/kafka/pom.xml
RUN=${KAFKA_DATA:-$CACHE/run}
PIDFILE=$RUN/kafka.pid
ADDRFILE=$RUN/address
LOG=$RUN/kafka.log
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}

say() { printf 'kafka: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- fetch

pom_sum() { { echo "$VERSION"; cat "$POM"; } | sha256sum | cut -d' ' -f1; }

# libs_complete: the stamp names the pom's checksum and every jar copied;
# the libs are complete when the checksum matches and every jar is there.
libs_complete() {
  [[ -f $STAMP ]] || return 1
  [[ $(head -n1 "$STAMP") == "$(pom_sum)" ]] || return 1
  local jar
  while IFS= read -r jar; do
    [[ -s $LIBS/$jar ]] || return 1
  done < <(tail -n +2 "$STAMP")
}

cmd_fetch() {
  if libs_complete; then
    say "jars for $VERSION already in ${LIBS#"$ROOT"/} ($(($(wc -l <"$STAMP") - 1)) jars)"
    return
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  require_java
  local t0=$SECONDS tmp
  mkdir -p "$CACHE/$VERSION"
  tmp=$(mktemp -d "$CACHE/$VERSION/fetch.XXXXXX")
  say "resolving org.apache.kafka:kafka_2.13:$VERSION with Maven"
  local repo=()
  [[ -n ${KAFKA_M2_REPO:-} ]] && repo=("-Dmaven.repo.local=$KAFKA_M2_REPO")
  # Debian's Maven 3.8 prints ANSI resets even in batch mode; strip them.
  if ! mvn -B -q -f "$POM" "${repo[@]}" package \
      "-Dkafka.version=$VERSION" "-Dlibs.dir=$tmp/libs" "-Dwork.dir=$tmp/target" 2>&1 |
      sed 's/\x1b\[[0-9;]*m//g' >&2; then
    rm -rf "$tmp"
    die "mvn failed to resolve the Kafka $VERSION jars"
  fi
  [[ -f $tmp/libs/kafka_2.13-$VERSION.jar ]] ||
    { rm -rf "$tmp"; die "kafka_2.13-$VERSION.jar missing after mvn"; }
  rm -rf "$LIBS" "$tmp/target"
  mv "$tmp/libs" "$LIBS"
  { pom_sum; (cd "$LIBS" && ls -1 -- *.jar); } >"$tmp/stamp"
  mv "$tmp/stamp" "$STAMP"
  rmdir "$tmp"
  say "fetched $(($(wc -l <"$STAMP") - 1)) jars into ${LIBS#"$ROOT"/} in $((SECONDS - t0))s"
}

require_java() {
  command -v java >/dev/null || die "java not found (apt-get install openjdk-17-jdk-headless)"
  local v
  v=$(java -version 2>&1 | awk -F'"' '/version "/ && !v { split($2, a, "."); v = a[1] } END { print v }')
  [[ -n $v && $v -ge 17 ]] || die "Java 17+ needed, found: $(java -version 2>&1 | sed -n 1p)"
}

# ---------------------------------------------------------------- helpers

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive PID: the process exists and is not a zombie.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# running_pid prints the broker's PID when the pid file names a live
# kafka.Kafka process (not some other process that reused the PID).
running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(<"$PIDFILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *' kafka.Kafka '* ]] || return 1
  echo "$pid"
}

# started_since LINE: the log says "Kafka Server started" at or after LINE.
started_since() {
  awk -v from="$1" 'NR >= from && /Kafka Server started/ { found = 1 } END { exit !found }' "$LOG"
}

# set_java fills JAVA with the java command line up to the main class.
set_java() {
  # shellcheck disable=SC2206 # HEAP_OPTS and KAFKA_JVM_OPTS are word lists
  JAVA=(java $HEAP_OPTS ${KAFKA_JVM_OPTS:-} -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$RUN/log4j2.properties" -cp "$LIBS/*")
}

write_config() {
  local port=$1 cport=$2
  cat >"$RUN/server.properties" <<EOF
# Written by scripts/kafka.sh: one node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN/data

# Topics are created explicitly (kadm / engine setup), never by a stray
# produce or metadata request: a typo must fail, not make a 1-partition topic.
auto.create.topics.enable=false
num.partitions=${KAFKA_PARTITIONS:-1}
default.replication.factor=1
min.insync.replicas=1

# Internal topics on a single node: replication factor and min ISR 1, and
# fewer partitions than the defaults (50) so the first group/transaction
# coordinator lookup is quick.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests join groups one after another; don't wait 3s for more members.
group.initial.rebalance.delay.ms=0

# Transactions v2 (Kafka 4) add a partition to a transaction with its first
# produce. When the producer's previous transaction is still writing its
# markers, the broker answers that produce only after this backoff (default
# 20 ms): most of a chain hop for an engine that commits one transaction
# per batch. See docs/KAFKA.md.
add.partitions.to.txn.retry.backoff.ms=${KAFKA_TXN_RETRY_BACKOFF_MS:-1}
EOF
  cat >"$RUN/log4j2.properties" <<'EOF'
# Written by scripts/kafka.sh: console only, WARN, plus the startup line.
status = warn
name = fugue-kafka
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = INFO
EOF
}

# ---------------------------------------------------------------- up/down

cmd_up() {
  local keep=false
  case "${1:-}" in
    --keep) keep=true ;;
    "") ;;
    *) die "usage: kafka.sh up [--keep]" ;;
  esac
  local pid
  if pid=$(running_pid); then
    die "already running (pid $pid, $(<"$ADDRFILE")); use 'kafka.sh down' or 'kafka.sh restart'"
  fi
  cmd_fetch
  require_java

  local port=${KAFKA_PORT:-19092} cport=${KAFKA_CONTROLLER_PORT:-19093}
  if $keep && [[ -f $RUN/server.properties ]]; then
    # The kept data belongs to the listeners it was formatted with.
    port=$(sed -n 's#^advertised.listeners=PLAINTEXT://127.0.0.1:##p' "$RUN/server.properties")
    cport=$(sed -n 's#^controller.quorum.bootstrap.servers=127.0.0.1:##p' "$RUN/server.properties")
  fi
  [[ $port == 0 ]] && port=$(free_port)
  [[ $cport == 0 ]] && cport=$(free_port)
  [[ $port != "$cport" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both $port"
  local p
  for p in "$port" "$cport"; do
    port_open "$p" && die "127.0.0.1:$p is already in use (set KAFKA_PORT / KAFKA_CONTROLLER_PORT, or 0 for a free one)"
  done

  mkdir -p "$RUN"
  if ! $keep; then
    rm -rf "$RUN/data"
    : >"$LOG"
  fi
  write_config "$port" "$cport"
  set_java
  if [[ ! -f $RUN/data/meta.properties ]]; then
    local id
    id=$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG") || true
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || { echo "$id" >>"$LOG"; tail -n 20 "$LOG" >&2; die "StorageTool random-uuid failed; log: $LOG"; }
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$id" -c "$RUN/server.properties" \
      --standalone >>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "StorageTool format failed"; }
    say "formatted ${RUN/#"$ROOT"\//}/data (cluster id $id)"
  else
    say "keeping ${RUN/#"$ROOT"\//}/data"
  fi

  local t0=$SECONDS start_line
  start_line=$(($(wc -l <"$LOG" 2>/dev/null || echo 0) + 1))
  # setsid: the broker outlives a Ctrl-C sent to make's process group, so
  # the caller's cleanup (kafka.sh down) decides when it stops.
  setsid "${JAVA[@]}" kafka.Kafka "$RUN/server.properties" </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  echo "127.0.0.1:$port" >"$ADDRFILE"

  local timeout=${KAFKA_START_TIMEOUT:-90}
  # (no `tail | grep -q`: under pipefail, grep's early exit fails the pipe)
  until started_since "$start_line" && port_open "$port"; do
    if ! alive "$pid"; then
      tail -n 60 "$LOG" >&2
      rm -f "$PIDFILE"
      die "broker exited during start-up; log: $LOG"
    fi
    if ((SECONDS - t0 >= timeout)); then
      tail -n 60 "$LOG" >&2
      cmd_down
      die "broker not ready after ${timeout}s; log: $LOG"
    fi
    sleep 0.2
  done
  say "Kafka $VERSION up on 127.0.0.1:$port (pid $pid, ready in $((SECONDS - t0))s, log ${LOG/#"$ROOT"\//})"
  echo "export KAFKA_BROKERS=127.0.0.1:$port"
}

cmd_down() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  local timeout=${KAFKA_STOP_TIMEOUT:-30} t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  local killed=false
  while alive "$pid"; do
    if ! $killed && ((SECONDS - t0 >= timeout)); then
      say "pid $pid still alive after ${timeout}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      killed=true
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  say "stopped pid $pid in $((SECONDS - t0))s"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    say "running: pid $pid, $(<"$ADDRFILE"), data ${RUN/#"$ROOT"\//}/data"
    cat "$ADDRFILE"
    return 0
  fi
  say "not running"
  return 3
}

cmd_addr() {
  running_pid >/dev/null || die "not running"
  cat "$ADDRFILE"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  restart) cmd_down; cmd_up --keep ;;
  status) cmd_status ;;
  addr) cmd_addr ;;
  logs) tail -n "${2:-100}" "$LOG" ;;
  *) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
