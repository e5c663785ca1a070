#!/usr/bin/env bash
# Benchmark: the commitment optimizer on 2,000 series x 2,160 hours (issue 3 asks
# for under 5 s), beside a naive grid search over one Compute SP in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p orgpool-savings --example optimizer_bench -- "${1:-2000}" "${2:-2160}"
