#!/usr/bin/env bash
# Benchmark: a whole `orgpool estimate` over a CUR 2.0 export from the demo
# generator, beside DuckDB running only the hourly eligible-spend aggregation
# over the same files (issue 3 asks duckdb/orgpool >= 1.0 at 5 million lines,
# and peak memory under 2 GiB at 50 million). Both are timed in the same run.
#
# Usage: [RUNS=N] bench/estimate_vs_duckdb.sh [ROWS]   (default 5200000 generator rows, about 5.03 million line items, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5200000}"
out="${BENCH_OUT:-bench/out}/estimate-$rows"
source bench/lib.sh
if [ ! -d "$out/demo" ]; then
  mkdir -p "$out"
  "$bin" demo generate --out "$out/demo" --rows "$rows" > /dev/null
fi
lines=$("$python" -c "import duckdb; print(duckdb.connect().execute(\"SELECT count(*) FROM read_parquet('$out/demo/cur/**/*.parquet')\").fetchone()[0])")

# hourly_eligible_sql GLOB : the peer's query, the hourly eligible-spend aggregation.
hourly_eligible_sql() {
  cat <<SQL
  SELECT bill_payer_account_id, line_item_usage_account_id, date_trunc('hour', line_item_usage_start_date) AS h,
         sum(line_item_unblended_cost)
  FROM read_parquet('$1')
  WHERE line_item_line_item_type = 'Usage'
    AND ((line_item_product_code = 'AmazonEC2' AND line_item_operation LIKE 'RunInstances%'
          AND line_item_usage_type NOT LIKE '%SpotUsage%' AND line_item_usage_type NOT LIKE '%Bytes%')
      OR (line_item_product_code = 'AWSLambda' AND line_item_usage_type LIKE '%Lambda-GB-Second%')
      OR (line_item_usage_type LIKE '%Fargate%'))
  GROUP BY 1, 2, 3
SQL
}

rm -f "$out"/*.runs "$out"/*.digests "$out"/*.secs
# The warm runs read the summary that this first, unmeasured run leaves in a
# cache of their own.
cache="$out/summary-cache"
rm -rf "$cache"
"$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json --cache-dir "$cache" > /dev/null
for _ in $(seq "$runs"); do
  # Cold: the whole export is scanned (--no-cache), as on a first run.
  measure "$out" orgpool "$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json --no-cache
  md5sum < "$out/orgpool.stdout" >> "$out/orgpool.digests"
  measure "$out" orgpool-warm "$bin" estimate --cur "$out/demo/cur" --lookback-days 3660 --format json --cache-dir "$cache"
  measure "$out" duckdb "$python" -c "
import time
import duckdb
start = time.perf_counter()
con = duckdb.connect()
con.execute('SET threads TO $(nproc)')
rows = con.execute('''
$(hourly_eligible_sql "$out/demo/cur/**/*.parquet")''').fetchall()
print(len(rows))
print('query_seconds', time.perf_counter() - start)
"
  # The same run's query alone, timed inside Python: without starting the
  # interpreter and importing duckdb.
  awk '/^query_seconds/ {print $2}' "$out/duckdb.stdout" >> "$out/duckdb-query.secs"
  # The same aggregation run by DuckDB's own command-line program: a process
  # that starts in milliseconds, so its time is DuckDB's work.
  measure "$out" duckdb-cli "$duckdb_cli" -csv -c "SET threads TO $(nproc); $(hourly_eligible_sql "$out/demo/cur/**/*.parquet")"
  # For scale: DuckDB running only the aggregation the estimate starts with.
  measure "$out" duckdb-summary "$python" bench/duckdb_summary_scan.py "$out/demo/cur/**/*.parquet" "$(nproc)"
  # orgpool's own floor: the estimate's line scan read and decoded, grouped
  # by nothing (the hidden --scan-only), as a whole process, and the read
  # alone as it times itself (from the opened files).
  measure "$out" orgpool-read "$bin" estimate --cur "$out/demo/cur" --scan-only
  sed -n 's/.*"seconds":\([0-9.eE+-]*\).*/\1/p' "$out/orgpool-read.stdout" >> "$out/orgpool-read.secs"
  # The floor: DuckDB only reading the 23 columns the estimate reads, timed
  # inside Python as above.
  measure "$out" duckdb-read "$python" bench/duckdb_read_columns.py "$out/demo/cur/**/*.parquet" "$(nproc)"
  awk '/^query_seconds/ {print $2}' "$out/duckdb-read.stdout" >> "$out/duckdb-read.secs"
done
read -r o_secs o_rss o_min o_max < <(result "$out" orgpool)
read -r d_secs d_rss d_min d_max < <(result "$out" duckdb)
read -r c_secs c_rss c_min c_max < <(result "$out" duckdb-cli)
read -r s_secs s_rss s_min s_max < <(result "$out" duckdb-summary)
read -r w_secs w_rss w_min w_max < <(result "$out" orgpool-warm)
read -r f_secs f_rss f_min f_max < <(result "$out" orgpool-read)
# median_of FILE : "median min max" of the numbers in FILE, one per line.
median_of() {
  sort -g "$1" | awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print m, t[1], t[NR] }'
}
read -r q_secs q_min q_max < <(median_of "$out/duckdb-query.secs")
read -r r_secs r_min r_max < <(median_of "$out/duckdb-read.secs")
read -r g_secs g_min g_max < <(median_of "$out/orgpool-read.secs")
printf '\nline items: %s on %s cores; median of %s interleaved runs\n' "$lines" "$(nproc)" "$runs"
printf '%-54s %8s %13s %9s\n' "task" "seconds" "range" "peak MiB"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool estimate (read, posture, optimize, backtest)" "$o_secs" "$o_min" "$o_max" "$((o_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool estimate again, its summary cached" "$w_secs" "$w_min" "$w_max" "$((w_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "duckdb hourly eligible-spend aggregation (Python)" "$d_secs" "$d_min" "$d_max" "$((d_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9s\n' "  the same, its query alone (timed inside Python)" "$q_secs" "$q_min" "$q_max" "-"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "  the same, DuckDB's command-line program ($("$duckdb_cli" --version | cut -d' ' -f1))" "$c_secs" "$c_min" "$c_max" "$((c_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "duckdb running orgpool's summary scan only" "$s_secs" "$s_min" "$s_max" "$((s_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9s\n' "duckdb only reading the estimate's 23 columns (query)" "$r_secs" "$r_min" "$r_max" "-"
printf '%-54s %8.2f %6.2f–%-6.2f %9.0f\n' "orgpool only reading them, grouping nothing (process)" "$f_secs" "$f_min" "$f_max" "$((f_rss / 1024))"
printf '%-54s %8.2f %6.2f–%-6.2f %9s\n' "  the same, the read alone (timed inside)" "$g_secs" "$g_min" "$g_max" "-"
# The same export must give the same estimate, bit for bit, run after run.
printf 'cold runs whose JSON is byte-identical to the first: %s of %s\n' \
  "$(grep -c -x -F "$(head -1 "$out/orgpool.digests")" "$out/orgpool.digests")" "$runs"
awk -v o="$o_secs" -v d="$d_secs" 'BEGIN { printf "ratio duckdb/orgpool time: %.2f (target >= 1.0; DuckDB in a Python process, its start included)\n", d / o }'
awk -v o="$o_secs" -v c="$c_secs" 'BEGIN { printf "ratio (duckdb command-line program)/orgpool time: %.2f (target >= 1.0, the peer timed as a process of its own)\n", c / o }'
awk -v o="$o_secs" -v q="$q_secs" 'BEGIN { printf "ratio (duckdb query alone, no Python start)/orgpool time: %.2f\n", q / o }'
awk -v o="$o_secs" -v s="$s_secs" 'BEGIN { printf "ratio (duckdb summary scan only)/(whole orgpool estimate): %.2f\n", s / o }'
awk -v o="$o_secs" -v r="$r_secs" 'BEGIN { printf "ratio (duckdb only reading the estimate'"'"'s columns)/(whole orgpool estimate): %.2f\n", r / o }'
awk -v g="$g_secs" -v r="$r_secs" 'BEGIN { printf "ratio (duckdb only reading the columns)/(orgpool only reading them): %.2f (the two Parquet readers, side by side)\n", r / g }'
# What parity with DuckDB's command-line program leaves the estimate for all
# but reading: grouping, the summary, posture, optimizer, backtest, output.
awk -v c="$c_secs" -v f="$f_secs" -v o="$o_secs" 'BEGIN { printf "budget at parity: %.2f s (DuckDB'"'"'s program %.2f s less orgpool only reading, %.2f s); the estimate spends %.2f s beyond reading\n", c - f, c, f, o - f }'
awk -v w="$w_secs" -v d="$d_secs" 'BEGIN { printf "ratio duckdb/(orgpool estimate, summary cached): %.2f (not the target: the target is the cold run)\n", d / w }'
