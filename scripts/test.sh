#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs and starts what it needs, then
# formatting, lints and every test on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export ATL_TEST_POSTGRES_URL=${ATL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -n "${CI:-}" ]; then
  # CI never skips the PostgreSQL suites: a missing server fails the run.
  export ATL_REQUIRE_POSTGRES=1
  # A one-off build gains nothing from incremental caches; they only take disk.
  export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "################################################################"
  echo "## WARNING: no PostgreSQL on 127.0.0.1:5432.                  ##"
  echo "## Every store-backed suite SKIPS its PostgreSQL half         ##"
  echo "## (look for 'SKIPPED' lines below). CI never skips them.     ##"
  echo "################################################################"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --all-features --locked 2>&1 | tee target/test-output.log
grep -h "SKIPPED" target/test-output.log | sort -u || true
echo "== schemathesis (the API against its OpenAPI document)"
bash scripts/schemathesis.sh
