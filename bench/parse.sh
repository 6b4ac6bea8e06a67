#!/usr/bin/env bash
# DarkMachines CSV parsing throughput: Oddity (oddity-io CsvReader) vs a line-splitting
# Python loader, on the same >= 1 GB file. Raw outputs go to bench/out/.
#
#   bench/parse.sh                 # build, make the big file if missing, run both, print ratio
#   REPEAT=5 bench/parse.sh        # more Oddity runs (default 3)
#   PY_MAX_BYTES=2e8 bench/parse.sh  # Python on a ~200 MB prefix only
#   PY_TIME_LIMIT=300 (default): if the estimated full Python run exceeds this many seconds,
#   Python runs on a ~200 MB prefix and the ratio compares MB/s (said in the output).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
BIG="${BIG:-$OUT/big_chan3.csv}"
REPEAT="${REPEAT:-3}"
PY_TIME_LIMIT="${PY_TIME_LIMIT:-300}"
PYTHON="${PYTHON:-python3}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
# Where cargo puts the binaries (it honours CARGO_TARGET_DIR, so the script does too).
BIN="${CARGO_TARGET_DIR:-target}/release"

echo "== build (release)"
cargo build --release -p oddity-bench --bin parse_throughput --bin make_big

echo "== benchmark file"
"$BIN/make_big" --out "$BIG"
BYTES=$(stat -c %s "$BIG")

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cpu detail: family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') MHz, avx2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no), avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
  echo "mem: $(free -g | awk '/Mem:/{print $2" GiB"}')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "file: $BIG ($BYTES bytes)"
  echo "rustc: $(rustc --version)"
  echo "python: $($PYTHON --version 2>&1)"
} | tee "$OUT/parse_$STAMP.machine.txt"

echo "== oddity (repeat $REPEAT)"
"$BIN/parse_throughput" "$BIG" --repeat "$REPEAT" --json --raw 2> "$OUT/parse_$STAMP.oddity.log" \
  | tee "$OUT/parse_$STAMP.oddity.txt"
cat "$OUT/parse_$STAMP.oddity.log"
ODDITY_JSON="$(tail -n1 "$OUT/parse_$STAMP.oddity.txt")"
echo "$ODDITY_JSON" > "$OUT/parse_oddity_latest.json"

echo "== python loader"
PY_ARGS=()
if [[ -n "${PY_MAX_BYTES:-}" ]]; then
  PY_ARGS=(--max-bytes "$PY_MAX_BYTES")
else
  # Estimate the full run from a 20 MB prefix.
  EST=$($PYTHON bench/python/dm_loader.py "$BIG" --max-bytes 2e7 --json 2>/dev/null | tail -n1 \
        | $PYTHON -c "import json,sys; j=json.load(sys.stdin); print(int($BYTES/1e6/j['mb_per_s']))")
  echo "estimated full Python run: ${EST} s"
  if (( EST > PY_TIME_LIMIT )); then
    echo "more than ${PY_TIME_LIMIT} s: Python runs on a ~200 MB prefix; the ratio compares MB/s"
    PY_ARGS=(--max-bytes 2e8)
  fi
fi
$PYTHON bench/python/dm_loader.py "$BIG" --json "${PY_ARGS[@]}" 2> "$OUT/parse_$STAMP.python.log" \
  | tee "$OUT/parse_$STAMP.python.txt"
PY_JSON="$(tail -n1 "$OUT/parse_$STAMP.python.txt")"
echo "$PY_JSON" > "$OUT/parse_python_latest.json"

echo "== result"
$PYTHON - "$ODDITY_JSON" "$PY_JSON" <<'EOF' | tee "$OUT/parse_$STAMP.summary.txt"
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"oddity : {o['mb_per_s']:8.1f} MB/s  {o['events_per_s']:12.0f} events/s  ({o['events']} events, best of {o['repeat']}, {o['threads']} threads)")
print(f"python : {p['mb_per_s']:8.2f} MB/s  {p['events_per_s']:12.0f} events/s  ({p['events']} events{', prefix ' + str(p['bytes']) + ' bytes' if p['prefix'] else ''})")
if not p["prefix"]:
    if o["events"] != p["events"]:
        print(f"MISMATCH: oddity parsed {o['events']} events, python {p['events']}")
        sys.exit(1)
    print(f"events agree: {o['events']}")
print(f"ratio oddity/python (MB/s): {o['mb_per_s'] / p['mb_per_s']:.1f}x")
print(f"targets: >= 300 MB/s: {'yes' if o['mb_per_s'] >= 300 else 'NO'}; >= 30x python: {'yes' if o['mb_per_s'] / p['mb_per_s'] >= 30 else 'NO'}")
EOF
