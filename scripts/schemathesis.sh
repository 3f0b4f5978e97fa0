#!/usr/bin/env bash
# The API against its own OpenAPI document: starts a real `atl serve` (built-in sandbox
# providers, a fresh SQLite file, the key it prints on first start) and runs the pinned
# Schemathesis (scripts/requirements-test.txt, installed by scripts/setup.sh) with every
# check and a bounded number of examples per operation. Fails on any failure it reports
# (a 5xx, an undocumented status, a body that does not match its schema, a valid request
# refused, a request without the key accepted, ...).
#   MAX_EXAMPLES=40 (per operation), SCHEMATHESIS_SEED=1 (reproducible), PORT=18931
set -euo pipefail
cd "$(dirname "$0")/.."

st=target/venv-test/bin/schemathesis
[ -x "$st" ] || bash scripts/setup.sh
max_examples=${MAX_EXAMPLES:-40}
seed=${SCHEMATHESIS_SEED:-1}
port=${PORT:-18931}
base="http://127.0.0.1:$port"

cargo build -q -p atl-cli --locked
work=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A clean environment: no provider key reaches this run (campaigns it starts must run on
# the sandbox, never on a paid account), and the database is this run's own.
env -i PATH="$PATH" HOME="$HOME" RUST_LOG=warn \
  ATL_DATABASE_URL="sqlite://$work/atl.db" ATL_DATA_DIR="$work/data" \
  ./target/debug/atl serve --addr "127.0.0.1:$port" --concurrency 4 \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.2
done
key=$(head -n 1 "$work/stdout")
[ -n "$key" ] || { echo "schemathesis: atl serve printed no key" >&2; cat "$work/stderr" >&2; exit 1; }

# Something to find: one campaign, so generated ids sometimes hit real rows.
printf 'Company,Website\nAcme Corp,acme.com\nGlobex,globex.com\n' >"$work/small.csv"
curl -fsS -H "Authorization: Bearer $key" -F file=@"$work/small.csv" "$base/api/atl/upload" >/dev/null
curl -fsS -H "Authorization: Bearer $key" "$base/openapi.json" >"$work/openapi.json"

echo "== schemathesis $("$st" --version | awk '{print $NF}'): --checks all --max-examples $max_examples --seed $seed"
set +e
"$st" --no-color --config-file scripts/schemathesis.toml run "$work/openapi.json" --url "$base" \
  -H "Authorization: Bearer $key" \
  --checks all --max-examples "$max_examples" --seed "$seed" \
  --workers 2 --request-timeout 5 \
  --report junit --report-junit-path "$work/junit.xml" 2>&1 | tee "$work/run.log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI's reader.
cases=$(grep -oE '[0-9]+ generated' "$work/run.log" | tail -n 1 | grep -oE '^[0-9]+' || echo 0)
failures=$(grep -c '<failure' "$work/junit.xml" 2>/dev/null || echo 0)
if [ "$status" -eq 0 ]; then
  echo "schemathesis: $cases passed, 0 failed"
else
  echo "schemathesis: 0 passed, ${failures:-1} failed (of $cases cases)"
  grep -iE "panic|error" "$work/stderr" | tail -n 20 >&2 || true
fi
exit "$status"
