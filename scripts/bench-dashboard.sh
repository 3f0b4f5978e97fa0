#!/usr/bin/env bash
# Dashboard benchmark (not a test): the campaign page of a running 10,000-target campaign
# (the bench_server example: sandbox providers with the usual latencies, 64 workers),
# loaded by curl (server time to first byte) and by headless Chromium (Navigation Timing:
# first byte, DOM ready, load end), then how responsive the page stays while its live
# updates arrive. Release build, loopback.
#
#   scripts/bench-dashboard.sh                 # SQLite (a fresh file in $TMPDIR)
#   ATL_DATABASE_URL=postgres://... scripts/bench-dashboard.sh
#
# Target: the page loads in under 300 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${ADDR:-127.0.0.1:8089}
RUNS=${RUNS:-10}
bash scripts/setup.sh >/dev/null

cargo build --release -p atl-server --example bench_server --example bench_dashboard
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
start_bench_server
sleep 2 # let the workers get going

echo "== GET /campaigns/$CAMPAIGN (10,000 targets, running): curl, $RUNS runs"
for run in $(seq 1 "$RUNS"); do
  curl -sS -o /dev/null -H "Cookie: atl_session=$KEY" \
    -w "run $run: HTTP %{http_code}, first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes\n" \
    "http://$ADDR/campaigns/$CAMPAIGN"
done
echo "== the same page in headless Chromium"
./target/release/examples/bench_dashboard --base "http://$ADDR" --key "$KEY" --campaign "$CAMPAIGN" --runs "$RUNS"
echo "status after the run:"
curl -fsS -H "Authorization: Bearer $KEY" "http://$ADDR/api/atl/campaigns/$CAMPAIGN/status"; echo
