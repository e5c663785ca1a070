#!/usr/bin/env bash
# Benchmark: `orgpool billing proforma` over a CUR 2.0 export from the demo
# generator, beside `orgpool estimate` over the same files (issue 6 asks the
# pro forma to take at most 1.5 times as long, at 5 million lines). Both are
# timed in the same run, on the same plan: billing groups per top-level OU, so
# each group applies only its own commitments.
#
# Usage: [RUNS=N] bench/proforma_vs_estimate.sh [ROWS]   (default 5000000 rows, 3 runs)
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

rm -f "$out"/*.runs
for _ in $(seq "$runs"); do
  measure "$out" proforma "$bin" billing proforma --org "$out/demo/org.json" --plan "$out/plan.json" --cur "$out/demo/cur" --format json
  # --no-cache: the estimate scans the export, as the pro forma does.
  measure "$out" estimate "$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json --no-cache
done
read -r p_secs p_rss p_min p_max < <(result "$out" proforma)
read -r e_secs e_rss e_min e_max < <(result "$out" estimate)
printf '\nline items: %s on %s cores; median of %s interleaved runs\n' "$lines" "$(nproc)" "$runs"
printf '%-54s %8s %13s %9s\n' "task" "seconds" "range" "peak MiB"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool billing proforma (groups per top-level OU)" "$p_secs" "$p_min" "$p_max" "$((p_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool estimate (read, posture, optimize, backtest)" "$e_secs" "$e_min" "$e_max" "$((e_rss / 1024))"
awk -v p="$p_secs" -v e="$e_secs" 'BEGIN { printf "ratio proforma/estimate time: %.2f (target <= 1.5)\n", p / e }'
