# Shared by the bench scripts: the test venv's Python, DuckDB's command-line
# program, a fresh release build, and one way to time a command. Source it; it
# sets $python, $duckdb_cli, $bin and defines `timed`.

python="${ORGPOOL_PYTHON:-.venv/bin/python}"
[ -x "$python" ] || { echo "run scripts/test once first: it builds the venv with duckdb" >&2; exit 2; }
# DuckDB's command-line program, pinned in bench/requirements-bench.txt, installed
# into the same venv the first time a bench script needs it. $duckdb_cli is the
# program itself, not the package's Python launcher, so that its time is DuckDB's.
bench_stamp="$(dirname "$python")/../.orgpool-bench-requirements"
duckdb_cli_path() {
  "$python" -c 'import duckdb_cli, os; print(os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb"))' 2> /dev/null
}
if ! cmp -s bench/requirements-bench.txt "$bench_stamp" || ! "$(duckdb_cli_path)" --version > /dev/null 2>&1; then
  "$python" -m pip install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
  cp bench/requirements-bench.txt "$bench_stamp"
fi
duckdb_cli="$(duckdb_cli_path)"
# The same build directory as .ci/run, so that a bench reuses the tests' build
# instead of starting a cold release build (about half an hour) into ./target.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orgpool-target}"
bin="$CARGO_TARGET_DIR/release/orgpool"
if [ ! -x "$bin" ]; then
  echo "building orgpool in release mode into $CARGO_TARGET_DIR (a first build takes about half an hour on 2 cores: see bench/README.md, \"Build times\"; set CARGO_TARGET_DIR to reuse another build)" >&2
fi
cargo build --release --quiet -p orgpool-cli

# timed DIR LABEL COMMAND... : runs COMMAND under /usr/bin/time -v, keeps its stdout in
# DIR/LABEL.stdout, and prints "wall_seconds peak_kib".
timed() {
  local dir="$1" label="$2"
  shift 2
  /usr/bin/time -v "$@" > "$dir/$label.stdout" 2> "$dir/$label.time"
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%s ", s}
              /Maximum resident set size/ {print $2}' "$dir/$label.time"
}

# Single runs on a small shared machine vary by a quarter or more, so the scripts
# run each command RUNS times (default 3), interleaved, and report the median time
# with its range and the highest peak memory.
runs="${RUNS:-3}"

# measure DIR LABEL COMMAND... : one timed run of COMMAND, appended to DIR/LABEL.runs.
measure() {
  local dir="$1" label="$2"
  timed "$@" >> "$dir/$label.runs"
}

# result DIR LABEL : "median_seconds peak_kib min_seconds max_seconds" of the runs.
result() {
  sort -g -k1,1 "$1/$2.runs" | awk '
    { t[NR] = $1; if ($2 > rss) rss = $2 }
    END {
      m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      print m, rss, t[1], t[NR]
    }'
}
