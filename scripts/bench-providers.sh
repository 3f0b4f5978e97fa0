#!/usr/bin/env bash
# Issue 3 benchmarks: governor overhead, client + governor overhead beside a zero-latency
# sandbox, and the sandbox's own throughput on one core (wrk on the other core).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh wrk
cargo build --release -q -p atl-cli
echo "== governor overhead (no-op calls)"
cargo run --release -q -p atl-providers --example governor_overhead
echo "== client + governor overhead beside a zero-latency sandbox"
cargo run --release -q -p atl-providers --example client_overhead
echo "== sandbox throughput: server pinned to core 0, wrk pinned to core 1"
port=18787
taskset -c 0 target/release/atl sandbox --port "$port" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
for route in chat chat_schema apollo_match; do
  path=/v1/chat/completions
  [ "$route" = apollo_match ] && path=/api/v1/people/match
  rps=$(taskset -c 1 wrk -t1 -c32 -d5s -s "scripts/wrk/$route.lua" "http://127.0.0.1:$port$path" | awk '/Requests\/sec/ {print $2}')
  echo "sandbox $route: $rps requests/s on one core"
done
