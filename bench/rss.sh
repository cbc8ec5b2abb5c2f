#!/usr/bin/env bash
# bench/rss.sh: the engine's memory for a chord of 10,000 and one of
# 100,000, as bench/analysis.md item 20 measured it by hand. It starts a
# real Kafka broker of its own (scripts/kafka.sh), engineprof and two
# workers, runs a warm-up chord of 100, then each chord in turn, and prints
# for each the engine's live heap peak and GC goal (GODEBUG=gctrace=1: the
# largest "live" and "goal" of the GCs during it), its VmHWM (reset before
# it) and the chord's tasks/s. No CPU profiler runs, unlike make bench.
#
#	bench/rss.sh                  # from the project root
#	SIZES=100000 bench/rss.sh     # the chord of 100,000 alone
#
# Files go to bench/out/rss-<time>/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/rss-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/bin"
go build -o "$out/bin/" ./cmd/worker ./bench/fugue/engineprof
go build -o "$out/bin/fuguebench" ./bench/fugue
scripts/kafka.sh fetch >&2
eval "$(KAFKA_PORT=0 KAFKA_CONTROLLER_PORT=0 KAFKA_DATA=$out/kafka scripts/kafka.sh up)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port)
pprof=$(free_port)
GODEBUG=gctrace=1 "$out/bin/engineprof" --brokers "$KAFKA_BROKERS" --http "127.0.0.1:$http" \
  --pprof "127.0.0.1:$pprof" --data "$out/data" >"$out/engine.out" 2>"$out/engine.log" &
engine=$!
workers=()
stop() {
  kill "$engine" "${workers[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  KAFKA_DATA=$out/kafka scripts/kafka.sh down >/dev/null 2>&1 || true
}
trap stop EXIT
for _ in $(seq 300); do grep -q 'fugue ready' "$out/engine.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'fugue ready' "$out/engine.out" || { echo "engine did not start" >&2; cat "$out/engine.log" >&2; exit 1; }
for i in 1 2; do
  "$out/bin/worker" --brokers "$KAFKA_BROKERS" --concurrency 8 >"$out/worker$i.log" 2>&1 &
  workers+=($!)
done
server=http://127.0.0.1:$http
"$out/bin/fuguebench" run --brokers "$KAFKA_BROKERS" --server "$server" --workload chord --n 100 >/dev/null
for n in ${SIZES:-10000 100000}; do
  echo 5 >"/proc/$engine/clear_refs" # reset VmHWM
  from=$(wc -l <"$out/engine.log")
  "$out/bin/fuguebench" run --brokers "$KAFKA_BROKERS" --server "$server" --workload chord --n "$n" \
    --timeout 300s >"$out/chord-$n.json"
  hwm=$(awk '/VmHWM/{print int($2 / 1024)}' "/proc/$engine/status")
  tail -n +"$((from + 1))" "$out/engine.log" | python3 -c '
import json, re, sys
n, hwm, res = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
live = goal = gcs = 0
for line in sys.stdin:
    m = re.search(r"(\d+)->(\d+)->(\d+) MB, (\d+) MB goal", line)
    if m:
        gcs += 1
        live, goal = max(live, int(m.group(3))), max(goal, int(m.group(4)))
tps = res["tasks_per_s"]
print(f"chord of {int(n):,}: live heap peak {live} MB, GC goal peak {goal} MB ({gcs} GCs), VmHWM {hwm} MB, {tps:,.0f} tasks/s")
' "$n" "$hwm" "$out/chord-$n.json"
done
