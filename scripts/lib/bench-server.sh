# Sourced by the benchmarks that load a running server (bench-api.sh, bench-dashboard.sh).

# Starts the bench_server example (already built in release) on $ADDR, its SQLite file and
# the campaign's audio (~1 GB per run) in a fresh temp dir; stops it and removes that dir,
# and any further paths given, on exit. Returns once it answers, with KEY (an API key) and
# CAMPAIGN (the running 10,000-target campaign) set.
start_bench_server() {
  BENCH_OUT=$(mktemp)
  BENCH_WORK=$(mktemp -d)
  BENCH_CLEANUP=("$BENCH_OUT" "$BENCH_WORK" "$@")
  ATL_BENCH_DIR="$BENCH_WORK" ./target/release/examples/bench_server --addr "$ADDR" >"$BENCH_OUT" &
  BENCH_PID=$!
  trap 'kill -INT "$BENCH_PID" 2>/dev/null || true; wait "$BENCH_PID" 2>/dev/null || true; rm -rf "${BENCH_CLEANUP[@]}"' EXIT
  for _ in $(seq 1 300); do grep -q '^ADDR=' "$BENCH_OUT" && break; sleep 0.1; done
  KEY=$(sed -n 's/^KEY=//p' "$BENCH_OUT")
  CAMPAIGN=$(sed -n 's/^CAMPAIGN=//p' "$BENCH_OUT")
  for _ in $(seq 1 100); do curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
