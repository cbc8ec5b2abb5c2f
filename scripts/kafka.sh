#!/usr/bin/env bash
# kafka.sh — a real single-node Apache Kafka (KRaft, broker+controller) on
# 127.0.0.1, run from the official jars on Maven Central. No Docker, no
# tarball: Maven resolves the jars (scripts/kafka/pom.xml), Java 17 runs them.
#
#   scripts/kafka.sh fetch            resolve the jars into .cache/kafka/<version>/libs
#   scripts/kafka.sh up [--keep]      format a data dir, start the broker, wait until ready,
#                                     print "export KAFKA_BROKERS=127.0.0.1:PORT" on stdout,
#                                     then the export lines of the TLS/SASL test listeners
#                                     (--keep: reuse the existing data dir; format only if empty)
#   scripts/kafka.sh down             stop it by its PID (TERM, then KILL after KAFKA_STOP_TIMEOUT)
#   scripts/kafka.sh restart          down, then up --keep (same data: for broker-restart tests)
#   scripts/kafka.sh status           exit 0 and print the address when running, exit 3 when not
#   scripts/kafka.sh addr             print the bootstrap address (host:port) of the running broker
#   scripts/kafka.sh env              print the export lines `up` printed, when running (exit 3 when not)
#   scripts/kafka.sh logs [N]         print the last N (default 100) lines of the broker log
#
# Besides PLAINTEXT, the broker listens on four test listeners, each on a
# free port (docs/KAFKA.md): SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256 and
# SCRAM-SHA-512 for user "fugue" with a password made up at `up`), SSL,
# SSL that requires a client certificate (mutual TLS), and SASL_SSL. `up`
# makes a throwaway CA and server and client certificates in the run dir's
# tls/. The exports: KAFKA_SASL_BROKERS, KAFKA_TLS_BROKERS,
# KAFKA_MTLS_BROKERS, KAFKA_SASL_TLS_BROKERS, KAFKA_SASL_USER,
# KAFKA_SASL_PASSWORD, KAFKA_TLS_CA, KAFKA_TLS_CLIENT_CERT, KAFKA_TLS_CLIENT_KEY.
#
# Environment (defaults in brackets):
#   KAFKA_VERSION          [4.4.0]  org.apache.kafka:kafka_2.13 version
#   KAFKA_PORT             [19092]  PLAINTEXT port; 0 picks a free port
#   KAFKA_CONTROLLER_PORT  [19093]  CONTROLLER port; 0 picks a free port
#   KAFKA_SASL_PORT, KAFKA_TLS_PORT, KAFKA_MTLS_PORT, KAFKA_SASL_TLS_PORT
#                          [0]      ports of the test listeners; 0 picks a free port
#   KAFKA_DATA             [.cache/kafka/run]  run dir: data/, server.properties, kafka.log, kafka.pid,
#                                     env, tls/, sasl-password
#   KAFKA_PARTITIONS       [1]      num.partitions for topics created without a count
#   KAFKA_HEAP_OPTS        [-Xms1g -Xmx1g]  as Kafka's kafka-server-start.sh
#   KAFKA_JVM_PERFORMANCE_OPTS  [G1 options of Kafka's kafka-run-class.sh]
#   KAFKA_START_TIMEOUT    [90]     seconds to wait for "Kafka Server started" and the ports
#   KAFKA_STOP_TIMEOUT     [30]     seconds to wait after TERM before KILL
#   KAFKA_M2_REPO          [Maven's default, ~/.m2/repository]  local Maven repository for fetch
#
# Everything but the export lines goes to stderr, so
#   eval "$(scripts/kafka.sh up)"
# exports KAFKA_BROKERS and the test listeners' variables into the calling
# shell. KAFKA_BROKERS stays alone on the first line, for callers that read it.
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
ENVFILE=$RUN/env
TLS=$RUN/tls
PWFILE=$RUN/sasl-password
SASL_USER=fugue
LOG=$RUN/kafka.log
# What Kafka's own start scripts give the JVM. A smaller heap starves G1:
# the broker keeps ~190 MB of live old generation, above the marking
# threshold of a 768 MB heap, so concurrent marking never stopped under
# load and took ~40% of the broker's CPU (scripts/README.md).
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms1g -Xmx1g}
PERF_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent}

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

# free_ports N prints N distinct free ports, one a line (all bound at once,
# so no two are the same).
free_ports() {
  python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
for s in ss: print(s.getsockname()[1])
' "$1"
}

# listener_port NAME: the port of listener NAME in the run dir's
# server.properties (empty when it has none).
listener_port() {
  sed -n 's/^listeners=//p' "$RUN/server.properties" | tr ',' '\n' | sed -n "s#^$1://127.0.0.1:##p"
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

# all_open PORT...: every port accepts TCP connections.
all_open() {
  local p
  for p in "$@"; do port_open "$p" || return 1; done
}

# started_since LINE: the log says "Kafka Server started" at or after LINE.
started_since() {
  awk -v from="$1" 'NR >= from && /Kafka Server started/ { found = 1 } END { exit !found }' "$LOG"
}

# set_java fills JAVA with the java command line up to the main class.
set_java() {
  # shellcheck disable=SC2206 # HEAP_OPTS, PERF_OPTS and KAFKA_JVM_OPTS are word lists
  JAVA=(java $HEAP_OPTS $PERF_OPTS ${KAFKA_JVM_OPTS:-} -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$RUN/log4j2.properties" -cp "$LIBS/*")
}

# make_tls writes a throwaway CA, and a server certificate for 127.0.0.1
# and a client certificate that it signed, into $TLS; EC P-256, valid 30
# days:
#   ca.pem                       the CA (the broker's truststore, the clients' --kafka-ca)
#   server-keystore.pem          the server's key and certificate (a PEM keystore)
#   client.pem, client-key.pem   the client's certificate and key (mutual TLS)
make_tls() {
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  rm -rf "$TLS"
  mkdir -m 700 "$TLS"
  cat >"$TLS/openssl.cnf" <<'EOF'
# Written by scripts/kafka.sh: the extensions of the test certificates.
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
  # cert NAME SUBJECT [SIGNER ARGS]: a new key (unencrypted PKCS#8, which
  # Kafka's PEM keystore and Go both read) and its certificate, with the
  # extensions of section NAME.
  cert() {
    local name=$1 subj=$2 out
    shift 2
    out=$(openssl req -x509 -config "$TLS/openssl.cnf" -extensions "$name" -subj "$subj" -days 30 \
      -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
      -keyout "$TLS/$name-key.pem" -out "$TLS/$name.pem" "$@" 2>&1) ||
      die "openssl could not make the $name certificate: $out"
  }
  cert ca "/CN=fugue test CA"
  cert server "/CN=127.0.0.1" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem"
  cert client "/CN=fugue-client" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem"
  cat "$TLS/server-key.pem" "$TLS/server.pem" >"$TLS/server-keystore.pem"
  rm -f "$TLS/server-key.pem" "$TLS/server.pem"
}

# write_config PORT CONTROLLER_PORT SASL_PORT TLS_PORT MTLS_PORT SASL_TLS_PORT PASSWORD
write_config() {
  local port=$1 cport=$2 sport=$3 tport=$4 mport=$5 xport=$6 password=$7
  local plain scram
  plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER=\"$password\";"
  scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  # It holds the test password: readable by its owner only.
  : >"$RUN/server.properties"
  chmod 600 "$RUN/server.properties"
  cat >"$RUN/server.properties" <<EOF
# Written by scripts/kafka.sh: one node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_PLAINTEXT://127.0.0.1:$sport,SSL://127.0.0.1:$tport,MTLS://127.0.0.1:$mport,SASL_SSL://127.0.0.1:$xport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sport,SSL://127.0.0.1:$tport,MTLS://127.0.0.1:$mport,SASL_SSL://127.0.0.1:$xport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL
log.dirs=$RUN/data

# Test listeners for clients with TLS or SASL (docs/KAFKA.md); broker and
# controller talk PLAINTEXT among themselves. A client is told the
# addresses of the listener it came in on. PLAIN checks the user of its
# JAAS line; SCRAM the credentials that format wrote (--add-scram). No
# authorizer: whoever authenticates may do anything.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$plain
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$scram
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram
listener.name.sasl_ssl.plain.sasl.jaas.config=$plain
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$scram
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram
# TLS (SSL, MTLS, SASL_SSL) from the PEM files of make_tls; the key is not
# encrypted, so there is no ssl.key.password. MTLS requires a client
# certificate signed by the CA; SSL and SASL_SSL ask for none.
ssl.keystore.type=PEM
ssl.keystore.location=$TLS/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.pem
listener.name.mtls.ssl.client.auth=required

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
  local sport=${KAFKA_SASL_PORT:-0} tport=${KAFKA_TLS_PORT:-0} mport=${KAFKA_MTLS_PORT:-0} xport=${KAFKA_SASL_TLS_PORT:-0}
  if $keep && [[ -f $RUN/server.properties ]]; then
    # The kept data belongs to the listeners it was formatted with.
    port=$(listener_port PLAINTEXT)
    cport=$(listener_port CONTROLLER)
    sport=$(listener_port SASL_PLAINTEXT) tport=$(listener_port SSL)
    mport=$(listener_port MTLS) xport=$(listener_port SASL_SSL)
    if [[ -f $RUN/data/meta.properties && ! -s $PWFILE ]]; then
      die "the data in ${RUN/#"$ROOT"\//}/data has no SCRAM user (formatted before the TLS/SASL test listeners); run 'kafka.sh up' without --keep"
    fi
  fi
  # Every 0 (or listener the kept config lacks) becomes a free port.
  local ports=("$port" "$cport" "$sport" "$tport" "$mport" "$xport") free i j=0
  mapfile -t free < <(free_ports "${#ports[@]}")
  for i in "${!ports[@]}"; do
    [[ ${ports[i]:-0} == 0 ]] && ports[i]=${free[j++]}
  done
  port=${ports[0]} cport=${ports[1]} sport=${ports[2]} tport=${ports[3]} mport=${ports[4]} xport=${ports[5]}
  [[ $port != "$cport" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both $port"
  [[ -z $(printf '%s\n' "${ports[@]}" | sort | uniq -d) ]] || die "two listeners on one port: ${ports[*]}"
  local p
  for p in "${ports[@]}"; do
    port_open "$p" && die "127.0.0.1:$p is already in use (set KAFKA_PORT / KAFKA_CONTROLLER_PORT / KAFKA_*_PORT, or 0 for a free one)"
  done

  mkdir -p "$RUN"
  if ! $keep; then
    rm -rf "$RUN/data"
    : >"$LOG"
  fi
  # The test user's password and certificates: new with new data, else kept.
  local password
  if $keep && [[ -s $PWFILE ]]; then
    password=$(<"$PWFILE")
  else
    password=$(openssl rand -hex 16)
    (umask 077 && echo "$password" >"$PWFILE")
  fi
  if ! $keep || [[ ! -s $TLS/ca.pem || ! -s $TLS/server-keystore.pem || ! -s $TLS/client.pem || ! -s $TLS/client-key.pem ]]; then
    make_tls
  fi
  write_config "$port" "$cport" "$sport" "$tport" "$mport" "$xport" "$password"
  set_java
  if [[ ! -f $RUN/data/meta.properties ]]; then
    local id
    id=$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG") || true
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || { echo "$id" >>"$LOG"; tail -n 20 "$LOG" >&2; die "StorageTool random-uuid failed; log: $LOG"; }
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$id" -c "$RUN/server.properties" --standalone \
      --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$password]" \
      --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$password]" \
      >>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "StorageTool format failed"; }
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
  # The export lines, kept for `kafka.sh env`; they hold the password.
  (umask 077 && {
    echo "export KAFKA_BROKERS=127.0.0.1:$port"
    echo "export KAFKA_SASL_BROKERS=127.0.0.1:$sport KAFKA_SASL_USER=$SASL_USER KAFKA_SASL_PASSWORD=$password"
    echo "export KAFKA_TLS_BROKERS=127.0.0.1:$tport KAFKA_MTLS_BROKERS=127.0.0.1:$mport KAFKA_SASL_TLS_BROKERS=127.0.0.1:$xport"
    printf 'export KAFKA_TLS_CA=%q KAFKA_TLS_CLIENT_CERT=%q KAFKA_TLS_CLIENT_KEY=%q\n' \
      "$TLS/ca.pem" "$TLS/client.pem" "$TLS/client-key.pem"
  } >"$ENVFILE")

  local timeout=${KAFKA_START_TIMEOUT:-90}
  # (no `tail | grep -q`: under pipefail, grep's early exit fails the pipe)
  until started_since "$start_line" && all_open "${ports[@]}"; do
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
  say "test listeners: SASL_PLAINTEXT $sport, SSL $tport, MTLS $mport, SASL_SSL $xport (user $SASL_USER; see 'kafka.sh env')"
  cat "$ENVFILE"
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

# cmd_env prints the export lines `up` printed, for a caller that finds the
# broker running (scripts/with-kafka.sh). A broker started by an older
# kafka.sh has no env file: then only KAFKA_BROKERS.
cmd_env() {
  if ! running_pid >/dev/null; then
    say "not running"
    return 3
  fi
  if [[ -f $ENVFILE ]]; then
    cat "$ENVFILE"
  else
    echo "export KAFKA_BROKERS=$(<"$ADDRFILE")"
  fi
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  restart) cmd_down; cmd_up --keep ;;
  status) cmd_status ;;
  addr) cmd_addr ;;
  env) cmd_env ;;
  logs) tail -n "${2:-100}" "$LOG" ;;
  *) sed -n '2,44p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
