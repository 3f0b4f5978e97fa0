#!/usr/bin/env bash
# Cost per 1,000 targets on the default routes (the sandbox priced with the price table),
# the same accounts again, requests per target and the quote against the booked spend;
# then speed under the providers' plan limits with 1 worker (SQLite) and 3 worker
# processes sharing the limits through PostgreSQL, on the first paid tiers and on a plan
# where the search limit binds for the whole run (Tavily's development key).
set -euo pipefail
cd "$(dirname "$0")/.."
export ATL_TEST_POSTGRES_URL="${ATL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo bench -p atl-app --bench cost -- cost 1000
ATL_BENCH_BACKEND=postgres cargo bench -p atl-app --bench cost -- cost 1000
cargo bench -p atl-app --bench cost -- limits 1000 1 first
cargo bench -p atl-app --bench cost -- limits 1000 3 first
cargo bench -p atl-app --bench cost -- limits 300 1 tight
cargo bench -p atl-app --bench cost -- limits 300 3 tight
