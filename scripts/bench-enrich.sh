#!/usr/bin/env bash
# Issue 4 benchmark: 1,000 targets against the sandbox with fixed latencies on both
# backends (ratio to the ideal), then 10,000 targets on SQLite for peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo bench -p atl-app --bench enrich -- 1000 1
ATL_BENCH_BACKEND=sqlite cargo bench -p atl-app --bench enrich -- 10000 0.25
