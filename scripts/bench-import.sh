#!/usr/bin/env bash
# Import benchmark of issue 2; figures go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo bench -p atl-app --bench import
