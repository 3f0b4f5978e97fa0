#!/usr/bin/env bash
# Resume benchmark (not a test), release build, against a standalone `atl sandbox`:
#
# (a) SIGKILL of `atl enrich` halfway, then the same command again: the time from the
#     restart to the campaign's first new claim, to the orphaned leases being taken back,
#     and to completion minus the work that was left (the baseline run's time × the
#     share of jobs left). Target: resume under 5 s plus the work left.
#     On the default SQLite file, or on PostgreSQL with ATL_DATABASE_URL=postgres://…
# (b) wall time lost to a PostgreSQL restart mid-run: a run with `pg_ctlcluster …
#     restart` halfway minus a run without. Target: under 10 s. Needs root (it creates,
#     restarts and finally drops a throwaway cluster `atlbench` on port $BENCH_PG_PORT, so
#     the shared server on 5432 and whoever uses it are not disturbed). SKIP_PG=1 skips it.
#
#   scripts/bench-resume.sh                  # TARGETS=200 LATENCY_MS=200 CONCURRENCY=32
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${TARGETS:-200}
LATENCY_MS=${LATENCY_MS:-200}
CONCURRENCY=${CONCURRENCY:-32}
SANDBOX_PORT=${SANDBOX_PORT:-8797}
BENCH_PG_PORT=${BENCH_PG_PORT:-5499}

bash scripts/setup.sh >/dev/null
cargo build --release -p atl-cli >/dev/null 2>&1
ATL=$PWD/target/release/atl
WORK=$(mktemp -d)
SANDBOX_PID=
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  if [ -n "${PG_CREATED:-}" ]; then pg_dropcluster --stop "$PG_VERSION" atlbench >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ATL" sandbox --port "$SANDBOX_PORT" --latency-ms "$LATENCY_MS" >/dev/null 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$SANDBOX_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
export ATL_SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
export ATL_DATA_DIR="$WORK/data"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# A CSV of $TARGETS targets whose names start with $1 (each file its own campaign).
targets_csv() {
  local f="$WORK/$1.csv"
  { echo "Company,First Name,Last Name,Email,Website"
    for i in $(seq 1 "$TARGETS"); do echo "$1 Co $i,Jo,Smith$i,jo$i@$1-$i.example,https://$1-$i.example"; done
  } >"$f"
  echo "$f"
}

# One value from the ledger, on whichever database the run uses.
q() {
  case "$DB" in
    postgres://*|postgresql://*) psql "$DB" -Atc "$1" ;;
    *) sqlite3 "$DB" "$1" ;;
  esac
}

enrich() { (cd "$WORK" && "$ATL" enrich "$1" --concurrency "$CONCURRENCY" --out "$WORK/out.csv" "${@:2}"); }

# (a) ----------------------------------------------------------------------------------
resume_bench() {
  export ATL_DATABASE_URL="$DB"
  echo "== (a) SIGKILL and resume: $TARGETS targets, sandbox latency $LATENCY_MS ms, concurrency $CONCURRENCY, on ${DB%%:*}"
  local base; base=$(targets_csv "base$(date +%s)")
  local t0; t0=$(now)
  enrich "$base" 2>/dev/null
  local full; full=$(secs "$t0" "$(now)")
  echo "baseline (uninterrupted): ${full} s"

  local base_id; base_id=$(q "SELECT MAX(id) FROM atl_campaigns")
  local kill_csv; kill_csv=$(targets_csv "killed$base_id")
  enrich "$kill_csv" 2>/dev/null &
  local pid=$!
  local campaign= total=$((TARGETS * 4)) done=0
  for _ in $(seq 1 6000); do
    campaign=$(q "SELECT id FROM atl_campaigns WHERE id > $base_id ORDER BY id DESC LIMIT 1" 2>/dev/null || true)
    if [ -n "$campaign" ]; then
      done=$(q "SELECT COUNT(*) FROM sub_agent_executions WHERE campaign_id = $campaign AND status = 'completed'" 2>/dev/null || echo 0)
      [ "${done:-0}" -ge $((total / 2)) ] && break
    fi
    sleep 0.05
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  done=$(q "SELECT COUNT(*) FROM sub_agent_executions WHERE campaign_id = $campaign AND status = 'completed'")
  local orphans; orphans=$(q "SELECT COUNT(*) FROM sub_agent_executions WHERE campaign_id = $campaign AND status = 'running'")
  local owner; owner=$(q "SELECT lease_owner FROM sub_agent_executions WHERE campaign_id = $campaign AND status = 'running' LIMIT 1")
  echo "killed (SIGKILL) at $done of $total jobs, $orphans leases of $owner left behind (60 s each)"

  local restart; restart=$(now)
  ATL_LOG=atl_engine=info,atl_store=info enrich "$kill_csv" 2>"$WORK/resume.log" &
  pid=$!
  local first= back=
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$first" ] && [ "$(q "SELECT COUNT(*) FROM sub_agent_executions WHERE campaign_id = $campaign AND lease_owner IS NOT NULL AND lease_owner <> '$owner'")" -gt 0 ]; then
      first=$(secs "$restart" "$(now)")
    fi
    if [ -z "$back" ] && [ "$(q "SELECT COUNT(*) FROM sub_agent_executions WHERE campaign_id = $campaign AND status = 'running' AND lease_owner = '$owner'")" -eq 0 ]; then
      back=$(secs "$restart" "$(now)")
    fi
    sleep 0.02
  done
  wait "$pid"
  local second; second=$(secs "$restart" "$(now)")
  local left; left=$(awk -v f="$full" -v d="$done" -v t="$total" 'BEGIN { printf "%.2f", f * (t - d) / t }')
  echo "restart → first new claim: ${first:-?} s; orphaned leases taken back: ${back:-?} s; completion: ${second} s"
  echo "work left ≈ ${left} s (baseline × share of jobs left): resume cost = $(awk -v s="$second" -v l="$left" 'BEGIN { printf "%.2f", s - l }') s"
  grep -E "took back|first job claimed" "$WORK/resume.log" || true
}

DB=${ATL_DATABASE_URL:-$WORK/atl.db}
resume_bench

# (b) ----------------------------------------------------------------------------------
if [ "${SKIP_PG:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v pg_createcluster >/dev/null; then
  echo "== (b) skipped (needs root and pg_createcluster; SKIP_PG=${SKIP_PG:-0})"
  exit 0
fi
PG_VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $2}' | grep -qx atlbench; then
  pg_createcluster "$PG_VERSION" atlbench --port "$BENCH_PG_PORT" -- --auth=trust >/dev/null
  PG_CREATED=1
fi
pg_ctlcluster "$PG_VERSION" atlbench start 2>/dev/null || true
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$BENCH_PG_PORT" && break; sleep 0.2; done
DB="postgres://postgres@127.0.0.1:$BENCH_PG_PORT/postgres"
export ATL_DATABASE_URL="$DB"
resume_bench

echo "== (b) PostgreSQL restart mid-run: $TARGETS targets"
calm=$(targets_csv calm)
t0=$(now); enrich "$calm" 2>/dev/null; t_calm=$(secs "$t0" "$(now)")
echo "without a restart: ${t_calm} s"
cut=$(targets_csv cut)
t0=$(now)
enrich "$cut" 2>"$WORK/restart.log" &
pid=$!
sleep "$(awk -v t="$t_calm" 'BEGIN { printf "%.2f", t / 2 }')"
r0=$(now)
pg_ctlcluster "$PG_VERSION" atlbench restart
echo "pg_ctlcluster restart took $(secs "$r0" "$(now)") s"
wait "$pid"
t_cut=$(secs "$t0" "$(now)")
id=$(q "SELECT id FROM atl_campaigns ORDER BY id DESC LIMIT 1")
echo "with a restart halfway: ${t_cut} s; lost: $(awk -v a="$t_cut" -v b="$t_calm" 'BEGIN { printf "%.2f", a - b }') s"
echo "jobs: $(q "SELECT status || ' ' || COUNT(*) FROM sub_agent_executions WHERE campaign_id = $id GROUP BY status" | tr '\n' ' ')"
echo "results per job: $(q "SELECT COUNT(*) FROM enrichment_results WHERE campaign_id = $id") results for $((TARGETS * 4)) jobs"
echo "what the user saw on stderr ($(grep -c WARN "$WORK/restart.log" || true) warnings; the pool waits for the server to come back before a transaction starts, and a transaction cut mid-way is retried):"
grep -E "WARN|ERROR" "$WORK/restart.log" | cut -c1-200 | head -5 || true
