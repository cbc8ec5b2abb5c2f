#!/usr/bin/env bash
# make demo: builds Fugue, starts `engine dev` (engine, HTTP API and a demo
# worker on the in-process development broker), runs the example canvases
# end to end, prints each workflow, and stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=$(mktemp -d)
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$bin" "$data"' EXIT
go build -o "$bin/" ./cmd/engine ./cmd/worker
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkfifo "$bin/out"
"$bin/engine" dev --http "127.0.0.1:$port" --data "$data" --log-level warn >"$bin/out" &
pid=$!
read -r -t 60 line <"$bin/out" || { echo "demo: engine dev did not start" >&2; exit 1; }
echo "$line"
export FUGUE_SERVER="http://127.0.0.1:$port"
for f in examples/canvases/*.json; do
  echo
  echo "== $f"
  "$bin/engine" submit --wait=30s "$f"
done
