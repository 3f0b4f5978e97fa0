#!/usr/bin/env bash
# API benchmark (not a test): GET /status under wrk against a started 10,000-target
# campaign, and a 10,000-row CSV upload end to end with curl. Release build, loopback.
#
#   scripts/bench-api.sh                 # SQLite (a fresh file in $TMPDIR)
#   ATL_DATABASE_URL=postgres://... scripts/bench-api.sh
#
# Targets: status p99 < 10 ms and > 5,000 req/s; upload < 0.5 s.
# wrk runs twice: at saturation (CONNECTIONS=32: as many requests as the 2 cores allow,
# so p99 includes queueing behind a CPU that is 100% busy), then with fewer connections
# (LIGHT_CONNECTIONS=12), which still offers more than 5,000 req/s: the latency at the
# throughput the target asks for.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${ADDR:-127.0.0.1:8089}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
LIGHT_CONNECTIONS=${LIGHT_CONNECTIONS:-12}

if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release -p atl-server --example bench_server
CSV=$(mktemp --suffix=.csv)
# shellcheck source=scripts/lib/bench-server.sh
. scripts/lib/bench-server.sh
start_bench_server "$CSV"

echo "== GET /api/atl/campaigns/$CAMPAIGN/status (10,000 targets, processing): wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
curl -fsS -H "Authorization: Bearer $KEY" "http://$ADDR/api/atl/campaigns/$CAMPAIGN/status"; echo
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
  -H "Authorization: Bearer $KEY" "http://$ADDR/api/atl/campaigns/$CAMPAIGN/status"

echo "== the same, $LIGHT_CONNECTIONS connections: wrk -t$THREADS -c$LIGHT_CONNECTIONS -d$DURATION"
wrk -t"$THREADS" -c"$LIGHT_CONNECTIONS" -d"$DURATION" --latency \
  -H "Authorization: Bearer $KEY" "http://$ADDR/api/atl/campaigns/$CAMPAIGN/status"

echo "status after the load (the campaign kept running: completed counts moved):"
curl -fsS -H "Authorization: Bearer $KEY" "http://$ADDR/api/atl/campaigns/$CAMPAIGN/status"; echo

echo "== POST /api/atl/upload, 10,000 rows (3 runs)"
{
  echo "Company,Contact,Email,Title,Website"
  for i in $(seq 0 9999); do echo "Upload Co $i,Person $i,p$i@upload$i.com,CTO,https://upload$i.com"; done
} >"$CSV"
ls -l "$CSV" | awk '{print "file bytes:", $5}'
for run in 1 2 3; do
  curl -sS -o /dev/null -w "run $run: HTTP %{http_code}, %{time_total} s total\n" \
    -H "Authorization: Bearer $KEY" -F "file=@$CSV" -F "name=bench upload $run" \
    "http://$ADDR/api/atl/upload"
done
