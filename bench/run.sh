#!/usr/bin/env bash
# make bench: Fugue against the Kafka ceiling, Celery 5 and machinery v2, in
# one run on this machine. See BENCHMARKS.md. Sizes (env):
#   BENCH_N (group/chord tasks, 10000)  BENCH_CHAIN (1000)  BENCH_WF (1000 small workflows)
#   BENCH_CEILING_N (1000000 records)   BENCH_SYSTEMS ("fugue celery machinery")
#   BENCH_BIG_CHORD (chord of this many header tasks for the memory check, 100000; 0 = skip)
#   BENCH_FUGUE_WORKLOADS ("group chord chain many"), BENCH_TIMEOUT (900 s a workload),
#   BENCH_MACHINERY_TIMEOUT (300 s), PROFILE_S (20 s of CPU profile a workload)
#   BENCH_WARM_CHAIN (3000: a chain run before Fugue's measured workloads, so the
#   broker's JIT has compiled the transaction path; recorded as "chain-cold"; 0 = none)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${BENCH_N:-10000}
CHAIN=${BENCH_CHAIN:-1000}
WF=${BENCH_WF:-1000}
CEIL_N=${BENCH_CEILING_N:-1000000}
SYSTEMS=${BENCH_SYSTEMS:-fugue celery machinery}
BIG=${BENCH_BIG_CHORD:-100000}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/out/$STAMP
mkdir -p "$OUT/bin"
RES=$OUT/results.jsonl
: >"$RES"
log() { echo "bench: $*" >&2; }
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${KAFKA_UP:-}" ]; then
    KAFKA_DATA=$OUT/kafka scripts/kafka.sh down >&2 || true
  fi
  if [ -n "${REDIS_PORT:-}" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu_s PID... -> CPU seconds (user+system) the processes used so far
cpu_s() {
  local t=0 v
  for p in "$@"; do v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0); t=$((t + v)); done
  python3 -c "print(round($t / $(getconf CLK_TCK), 2))"
}
# jit_s PID -> CPU seconds the JVM's JIT compiler threads (C1, C2) used so far
jit_s() {
  local t=0 d v
  for d in /proc/"$1"/task/*; do
    case $(cat "$d/comm" 2>/dev/null) in
      C1\ Compiler*|C2\ Compiler*) v=$(sed 's/.*) //' "$d/stat" | awk '{print $12+$13}'); t=$((t + v)) ;;
    esac
  done
  python3 -c "print(round($t / $(getconf CLK_TCK), 2))"
}
# txns -> "COMMITTED ABORTED": the engine's Kafka transactions so far (/metrics)
txns() {
  curl -s "$SERVER/metrics" | awk '/^fugue_engine_transactions_total\{result="committed"\}/{c=$2} /^fugue_engine_transactions_total\{result="aborted"\}/{a=$2} END{printf "%d %d\n", c, a}'
}
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_hwm() { for p in "$@"; do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done; }
# rss_max_total PID... -> "MAX_MB TOTAL_MB" of VmHWM
rss_max_total() {
  local max=0 tot=0 k
  for p in "$@"; do k=$(hwm_kb "$p"); tot=$((tot + k)); [ "$k" -gt "$max" ] && max=$k; done
  echo "$((max / 1024)) $((tot / 1024))"
}
# record KEY=VALUE... -> merges into the last JSON line of $RES
note() { python3 - "$RES" "$@" <<'PY'
import json, sys
p = sys.argv[1]; lines = open(p).read().splitlines()
d = json.loads(lines[-1])
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    try: v = json.loads(v)
    except Exception: pass
    d[k] = v
lines[-1] = json.dumps(d)
open(p, "w").write("\n".join(lines) + "\n")
PY
}

# ---------------------------------------------------------------- machine
{
  echo "date: $(date -u +%FT%TZ)"
  echo "fugue: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min averages, before the run)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "mem: $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "go: $(go version | cut -d' ' -f3)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "sizes: group/chord=$N chain=$CHAIN workflows=$WF ceiling=$CEIL_N big_chord=$BIG"
} >"$OUT/machine.txt"

# ---------------------------------------------------------------- build
log "building Fugue binaries"
go build -o "$OUT/bin/" ./cmd/engine ./cmd/worker ./bench/fugue/engineprof
go build -o "$OUT/bin/fuguebench" ./bench/fugue

# ---------------------------------------------------------------- Kafka
scripts/kafka.sh fetch >&2
eval "$(KAFKA_PORT=0 KAFKA_CONTROLLER_PORT=0 KAFKA_DATA=$OUT/kafka scripts/kafka.sh up)"
KAFKA_UP=1
KAFKA_PID=$(cat "$OUT/kafka/kafka.pid" 2>/dev/null || echo 0)
log "Kafka at $KAFKA_BROKERS"
echo "kafka: 4.4.0 (scripts/kafka.sh, single node KRaft)" >>"$OUT/machine.txt"

log "1. Kafka ceiling: $CEIL_N records of 200 bytes"
"$OUT/bin/fuguebench" ceiling --brokers "$KAFKA_BROKERS" --n "$CEIL_N" --size 200 \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); d.update(system="kafka", workload="ceiling"); print(json.dumps(d))' >>"$RES"
tail -1 "$RES" >&2

# ---------------------------------------------------------------- Fugue
if has fugue; then
  HTTP_PORT=$(free_port); PPROF_PORT=$(free_port)
  "$OUT/bin/engineprof" --brokers "$KAFKA_BROKERS" --http "127.0.0.1:$HTTP_PORT" \
    --pprof "127.0.0.1:$PPROF_PORT" --data "$OUT/fugue-data" >"$OUT/engine.out" 2>"$OUT/engine.log" &
  ENGINE=$!; PIDS+=("$ENGINE")
  for _ in $(seq 300); do grep -q 'fugue ready' "$OUT/engine.out" 2>/dev/null && break; sleep 0.1; done
  grep -q 'fugue ready' "$OUT/engine.out" || { log "engine did not start"; cat "$OUT/engine.log" >&2; exit 1; }
  WORKERS=()
  for i in 1 2; do
    "$OUT/bin/worker" --brokers "$KAFKA_BROKERS" --concurrency "${BENCH_FUGUE_CONCURRENCY:-8}" \
      >"$OUT/worker$i.log" 2>&1 &
    WORKERS+=($!); PIDS+=($!)
  done
  SERVER=http://127.0.0.1:$HTTP_PORT
  # warm up: topics, consumer groups, first assignment
  "$OUT/bin/fuguebench" run --brokers "$KAFKA_BROKERS" --server "$SERVER" --workload chord --n 100 >/dev/null
  fugue_run() { # workload n [label for the files]
    local tag=${3:-$1}
    reset_hwm "$ENGINE" "${WORKERS[@]}"
    ( sleep 1; curl -s -o "$OUT/fugue-$tag.cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=${PROFILE_S:-20}" ) &
    local prof=$! wprof=
    if command -v perf >/dev/null; then  # the worker has no pprof endpoint: sample one with perf
      ( sleep 1; perf record -q -e cpu-clock -F 499 -g -o "$OUT/fugue-$tag.worker.perf" -p "${WORKERS[0]}" -- sleep "${PROFILE_S:-20}" ) >/dev/null 2>&1 &
      wprof=$!
    fi
    log "2. Fugue $1 n=$2"
    local ce cw ck cj tc ta tc2 ta2
    ce=$(cpu_s "$ENGINE"); cw=$(cpu_s "${WORKERS[@]}"); ck=$(cpu_s "$KAFKA_PID"); cj=$(jit_s "$KAFKA_PID")
    read -r tc ta < <(txns)
    if "$OUT/bin/fuguebench" run --brokers "$KAFKA_BROKERS" --server "$SERVER" --workload "$1" --n "$2" \
        --timeout "${BENCH_TIMEOUT:-900}s" >>"$RES" 2>"$OUT/fugue-$tag.err"; then
      read -r wmax wtot < <(rss_max_total "${WORKERS[@]}")
      note engine_rss_mb=$(( $(hwm_kb "$ENGINE") / 1024 )) worker_rss_mb="$wmax" worker_rss_total_mb="$wtot" \
        cpu_engine_s=$(python3 -c "print(round($(cpu_s "$ENGINE") - $ce, 2))") \
        cpu_workers_s=$(python3 -c "print(round($(cpu_s "${WORKERS[@]}") - $cw, 2))") \
        cpu_kafka_s=$(python3 -c "print(round($(cpu_s "$KAFKA_PID") - $ck, 2))") \
        cpu_kafka_jit_s=$(python3 -c "print(round($(jit_s "$KAFKA_PID") - $cj, 2))")
      read -r tc2 ta2 < <(txns)
      note engine_txns_committed=$((tc2 - tc)) engine_txns_aborted=$((ta2 - ta))
    else
      echo "{\"system\":\"fugue\",\"workload\":\"$1\",\"n\":$2,\"error\":$(tail -1 "$OUT/fugue-$tag.err" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read().strip()))')}" >>"$RES"
    fi
    wait "$prof" || true
    [ -z "$wprof" ] || wait "$wprof" || true
    curl -s -o "$OUT/fugue-$tag.heap.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap"
    # The engine's heap in use once the workload is done, after a GC: what
    # it keeps (RSS only shrinks as the runtime returns pages).
    local heap
    heap=$(curl -s "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap?gc=1&debug=1" | awk '/^# HeapInuse = /{print int($4 / 1048576)}')
    [ -z "$heap" ] || note engine_heap_after_mb="$heap"
    tail -1 "$RES" >&2
  }
  # A broker that has just started spends seconds of CPU in its JIT compiler
  # (C2) on the transaction path, and on 2 cores that slows every hop of the
  # first few thousand: a chain of 1,000 on a fresh broker measures ~3x the
  # hop of a warm one. A long-running broker is warm, so the measured
  # workloads run after a chain that warms it; that chain is recorded too.
  if [ "${BENCH_WARM_CHAIN:-3000}" -gt 0 ]; then fugue_run chain "${BENCH_WARM_CHAIN:-3000}" chain-cold; note workload=chain-cold; fi
  for wl in ${BENCH_FUGUE_WORKLOADS:-group chord chain many}; do
    case $wl in
      group|chord) fugue_run "$wl" "$N" ;;
      chain) fugue_run chain "$CHAIN" ;;
      many) fugue_run many "$WF" ;;
    esac
  done
  if [ "$BIG" -gt 0 ]; then fugue_run chord "$BIG" bigchord; note workload=bigchord; fi
  for p in "$ENGINE" "${WORKERS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=()

  log "4. replay of the events topic"
  if "$OUT/bin/engine" replay --brokers "$KAFKA_BROKERS" --data "$OUT/replay-data" >"$OUT/replay.out" 2>"$OUT/replay.log"; then
    python3 - "$OUT/replay.log" >>"$RES" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
m = re.search(r"(\d+) records in (\S+) \(([\d.]+) records/s\)", t)
print(json.dumps({"system": "fugue", "workload": "replay", "records": int(m.group(1)), "took": m.group(2), "events_per_s": float(m.group(3))}))
PY
  else
    log "replay failed: $(tail -3 "$OUT/replay.log")"
    echo "{\"system\":\"fugue\",\"workload\":\"replay\",\"error\":$(tail -1 "$OUT/replay.log" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read().strip()))')}" >>"$RES"
  fi
  tail -1 "$RES" >&2
fi

# ---------------------------------------------------------------- Redis
start_redis() {
  if ! command -v redis-server >/dev/null; then
    log "installing redis-server (apt-get)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server) >"$OUT/apt.log" 2>&1
  fi
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "redis: $(redis-server --version | cut -d' ' -f3)" >>"$OUT/machine.txt"
}
if has celery || has machinery; then start_redis; fi

# ---------------------------------------------------------------- Celery
if has celery; then
  VENV=$ROOT/.cache/bench-venv
  if ! "$VENV/bin/python" -c 'import celery, redis, packaging' 2>/dev/null; then
    log "making $VENV (celery, redis from PyPI)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'celery[redis]>=5,<6' redis packaging >"$OUT/pip.log" 2>&1
  fi
  echo "celery: $("$VENV/bin/python" -c 'import celery, kombu, redis, sys; print(celery.__version__, "kombu", kombu.__version__, "redis-py", redis.__version__, "python", sys.version.split()[0])')" >>"$OUT/machine.txt"
  export BENCH_REDIS=redis://127.0.0.1:$REDIS_PORT/0
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  (cd bench/celery && exec "$VENV/bin/celery" -A tasks worker -P prefork -c 2 --loglevel=warning) >"$OUT/celery-worker.log" 2>&1 &
  CELERY=$!; PIDS+=("$CELERY")
  sleep 1
  for _ in $(seq 100); do [ "$(pgrep -P "$CELERY" | wc -l)" -ge 2 ] && break; sleep 0.2; done
  (cd bench/celery && "$VENV/bin/python" bench.py group 10 >/dev/null)  # warm up
  celery_run() {
    local procs=("$CELERY" $(pgrep -P "$CELERY"))
    reset_hwm "${procs[@]}" "$REDIS_PID"
    log "3. Celery $1 n=$2"
    local cw cr
    cw=$(cpu_s "${procs[@]}"); cr=$(cpu_s "$REDIS_PID")
    if (cd bench/celery && timeout "${BENCH_TIMEOUT:-900}" "$VENV/bin/python" bench.py "$1" "$2") >>"$RES" 2>"$OUT/celery-$1.err"; then
      read -r wmax wtot < <(rss_max_total "${procs[@]}")
      note worker_rss_mb="$wmax" worker_rss_total_mb="$wtot" redis_rss_mb=$(( $(hwm_kb "$REDIS_PID") / 1024 )) \
        cpu_workers_s=$(python3 -c "print(round($(cpu_s "${procs[@]}") - $cw, 2))") \
        cpu_redis_s=$(python3 -c "print(round($(cpu_s "$REDIS_PID") - $cr, 2))")
    else
      echo "{\"system\":\"celery\",\"workload\":\"$1\",\"n\":$2,\"error\":$(tail -1 "$OUT/celery-$1.err" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read().strip() or "timeout"))')}" >>"$RES"
    fi
    tail -1 "$RES" >&2
  }
  celery_run group "$N"
  celery_run chord "$N"
  celery_run chain "$CHAIN"
  celery_run many "$WF"
  kill "$CELERY" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$CELERY" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$CELERY" $(pgrep -P "$CELERY") 2>/dev/null || true; wait "$CELERY" 2>/dev/null || true
fi

# ---------------------------------------------------------------- machinery
if has machinery; then
  log "building bench/machinery (its own go.mod)"
  (cd bench/machinery && go build -o "$OUT/bin/machinebench" .)
  echo "machinery: $(cd bench/machinery && go list -m -f '{{.Version}}' github.com/RichardKnop/machinery/v2)" >>"$OUT/machine.txt"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  start_mw() {
    MW=()
    for i in 1 2; do
      "$OUT/bin/machinebench" --redis "127.0.0.1:$REDIS_PORT" worker --concurrency "${BENCH_FUGUE_CONCURRENCY:-8}" >>"$OUT/machinery-worker$i.log" 2>&1 &
      MW+=($!); PIDS+=($!)
    done
    sleep 1
  }
  start_mw
  "$OUT/bin/machinebench" --redis "127.0.0.1:$REDIS_PORT" run group 10 >/dev/null  # warm up
  machinery_run() {
    reset_hwm "${MW[@]}" "$REDIS_PID"
    log "3. machinery $1 n=$2"
    local cw cr
    cw=$(cpu_s "${MW[@]}"); cr=$(cpu_s "$REDIS_PID")
    local to=${BENCH_MACHINERY_TIMEOUT:-300}
    if timeout "$to" "$OUT/bin/machinebench" --redis "127.0.0.1:$REDIS_PORT" run "$1" "$2" >>"$RES" 2>"$OUT/machinery-$1.err"; then
      read -r wmax wtot < <(rss_max_total "${MW[@]}")
      note worker_rss_mb="$wmax" worker_rss_total_mb="$wtot" redis_rss_mb=$(( $(hwm_kb "$REDIS_PID") / 1024 )) \
        cpu_workers_s=$(python3 -c "print(round($(cpu_s "${MW[@]}") - $cw, 2))") \
        cpu_redis_s=$(python3 -c "print(round($(cpu_s "$REDIS_PID") - $cr, 2))")
    else
      read -r wmax wtot < <(rss_max_total "${MW[@]}")
      echo "{\"system\":\"machinery\",\"workload\":\"$1\",\"n\":$2,\"worker_rss_mb\":$wmax,\"error\":$(tail -1 "$OUT/machinery-$1.err" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read().strip() or "did not finish within '"$to"' s (timeout)"))')}" >>"$RES"
      # start over: stop the workers, drop the queue, start fresh ones
      for p in "${MW[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
      redis-cli -p "$REDIS_PORT" flushall >/dev/null
      start_mw
    fi
    tail -1 "$RES" >&2
  }
  machinery_run group "$N"
  machinery_run chord "$N"
  machinery_run chain "$CHAIN"
  machinery_run many "$WF"
  for p in "${MW[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
fi

# ---------------------------------------------------------------- report
python3 bench/report.py "$OUT" >"$ROOT/BENCHMARKS.md"
log "results in $OUT; table in BENCHMARKS.md"
