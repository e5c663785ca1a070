#!/usr/bin/env bash
# Benchmark: `orgpool billing proforma` over a CUR 2.0 export from the demo
# generator, beside `orgpool estimate` over the same files (issue 6 asks the
# pro forma to take at most 1.5 times as long, at 5 million lines). Both are
# timed in the same run, on the same plan: billing groups per top-level OU, so
# each group applies only its own commitments. Both scan the export (--no-cache);
# the pro forma is also timed reading its charges back from the cache, as a second
# run over the same files does.
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
# The cached runs read the charges this first, unmeasured run leaves in a cache
# of their own.
cache="$out/charges-cache"
rm -rf "$cache"
"$bin" billing proforma --org "$out/demo/org.json" --plan "$out/plan.json" --cur "$out/demo/cur" --format json --cache-dir "$cache" > /dev/null
for _ in $(seq "$runs"); do
  # --no-cache: both scan the export, as on a first run (the target's case).
  measure "$out" proforma "$bin" billing proforma --org "$out/demo/org.json" --plan "$out/plan.json" --cur "$out/demo/cur" --format json --no-cache
  measure "$out" estimate "$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json --no-cache
  measure "$out" proforma-cached "$bin" billing proforma --org "$out/demo/org.json" --plan "$out/plan.json" --cur "$out/demo/cur" --format json --cache-dir "$cache"
done
cmp -s "$out/proforma.stdout" "$out/proforma-cached.stdout" || { echo "the cached pro forma differs from the scanned one" >&2; exit 1; }
read -r p_secs p_rss p_min p_max < <(result "$out" proforma)
read -r e_secs e_rss e_min e_max < <(result "$out" estimate)
read -r c_secs c_rss c_min c_max < <(result "$out" proforma-cached)
printf '\nline items: %s on %s cores; median of %s interleaved runs\n' "$lines" "$(nproc)" "$runs"
printf '%-54s %8s %13s %9s\n' "task" "seconds" "range" "peak MiB"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool billing proforma (groups per top-level OU)" "$p_secs" "$p_min" "$p_max" "$((p_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool estimate (read, posture, optimize, backtest)" "$e_secs" "$e_min" "$e_max" "$((e_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool billing proforma again, its charges cached" "$c_secs" "$c_min" "$c_max" "$((c_rss / 1024))"
awk -v p="$p_secs" -v e="$e_secs" 'BEGIN { printf "ratio proforma/estimate time: %.2f (target <= 1.5)\n", p / e }'
awk -v p="$p_secs" -v c="$c_secs" 'BEGIN { printf "cached pro forma against a scanned one: %.2f of its time\n", c / p }'
