#!/usr/bin/env bash
# Benchmark: `orgpool billing proforma` over a CUR 2.0 export from the demo
# generator, beside `orgpool estimate` over the same files (issue 6 asks the
# pro forma to take at most 1.5 times as long, at 5 million lines). Both are
# timed in the same run, on the same plan: billing groups per top-level OU, so
# each group applies only its own commitments.
#
# Usage: bench/proforma_vs_estimate.sh [ROWS]   (default 5000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5000000}"
out="${BENCH_OUT:-bench/out}/proforma-$rows"
source bench/lib.sh
if [ ! -d "$out/demo" ]; then
  mkdir -p "$out"
  "$bin" demo generate --out "$out/demo" --rows "$rows" > /dev/null
fi
"$bin" billing plan --org "$out/demo/org.json" --by ou --format json > "$out/plan.json"
lines=$("$python" -c "import duckdb; print(duckdb.connect().execute(\"SELECT count(*) FROM read_parquet('$out/demo/cur/**/*.parquet')\").fetchone()[0])")

read -r p_secs p_rss < <(timed "$out" proforma "$bin" billing proforma --org "$out/demo/org.json" --plan "$out/plan.json" --cur "$out/demo/cur" --format json)
read -r e_secs e_rss < <(timed "$out" estimate "$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json)
printf '\nline items: %s on %s cores\n' "$lines" "$(nproc)"
printf '%-58s %10s %12s\n' "task" "seconds" "peak MiB"
printf '%-58s %10.2f %12.0f\n' "orgpool billing proforma (groups per top-level OU)" "$p_secs" "$((p_rss / 1024))"
printf '%-58s %10.2f %12.0f\n' "orgpool estimate (read, posture, optimize, backtest)" "$e_secs" "$((e_rss / 1024))"
awk -v p="$p_secs" -v e="$e_secs" 'BEGIN { printf "ratio proforma/estimate time: %.2f (target <= 1.5)\n", p / e }'
