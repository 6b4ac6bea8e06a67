#!/usr/bin/env bash
# Score-combination throughput: 2 calibrated members (1 M calibration events each) combined
# over 10 million events in every mode (AND, OR, AVG, PROD), Oddity (`combine_throughput`
# example of oddity-eval) and the vectorised NumPy peer (`tools/reference/combine_reference.py
# bench`, np.searchsorted) on the same inputs in the same run; the combined scores are
# compared, the events/s and the ratio Oddity/NumPy printed per mode. Raw output and the
# input files (about 0.5 GB, deleted at the end unless KEEP=1) go to bench/out/. NumPy runs
# each mode PY_REPEAT times (default 1: it needs tens of seconds per mode at this size). Both
# processes' CPU times are printed too (on a loaded machine they matter more than wall time).
#
#   bench/combine.sh                                 # 10 M events, 3 repetitions, all cores
#   EVENTS=1000000 CALIBRATION=100000 REPEAT=5 PY_REPEAT=3 bench/combine.sh
#   RAYON_NUM_THREADS=2 bench/combine.sh             # the 2-core reference setting
#   PYTHON=/path/to/python bench/combine.sh          # needs numpy (default: tools/reference/.venv)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
EVENTS="${EVENTS:-10000000}"
CALIBRATION="${CALIBRATION:-1000000}"
REPEAT="${REPEAT:-3}"
PY_REPEAT="${PY_REPEAT:-1}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$OUT/combine_$STAMP.txt"
DATA="$OUT/combine_$STAMP"
PYTHON="${PYTHON:-$ROOT/tools/reference/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" -c 'import numpy' 2>/dev/null || {
  echo "no numpy for $PYTHON: python3 -m venv tools/reference/.venv && tools/reference/.venv/bin/pip install numpy==2.4.6" >&2
  exit 2
}

echo "== build (release)"
cargo build --release -p oddity-eval --example combine_throughput

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "RAYON_NUM_THREADS: ${RAYON_NUM_THREADS:-unset}"
  echo "rustc: $(rustc --version)"
  echo "python: $("$PYTHON" -c 'import sys, numpy; print(sys.version.split()[0], "numpy", numpy.__version__)')"
  echo "command: $REL/examples/combine_throughput --events $EVENTS --calibration $CALIBRATION --repeat $REPEAT --write $DATA"
  /usr/bin/time -f "oddity process: %e s wall, %U s user, %S s sys (generation and writing included)" \
    "$REL"/examples/combine_throughput --events "$EVENTS" --calibration "$CALIBRATION" --repeat "$REPEAT" \
    --write "$DATA"
  echo "command: $PYTHON tools/reference/combine_reference.py bench $DATA --repeat $PY_REPEAT"
  /usr/bin/time -f "numpy process: %e s wall, %U s user, %S s sys (reading included)" \
    "$PYTHON" tools/reference/combine_reference.py bench "$DATA" --repeat "$PY_REPEAT"
} 2>&1 | tee "$LOG"

echo "== ratio Oddity / NumPy (best events/s)" | tee -a "$LOG"
for mode in and or avg prod; do
  ours="$(grep "^oddity $mode:" "$LOG" | sed -E 's/.*best [0-9.]+ s \(([0-9.e+]+) events\/s\).*/\1/')"
  theirs="$(grep "^numpy $mode:" "$LOG" | sed -E 's/.* ([0-9.e+]+) events\/s.*/\1/')"
  awk -v m="$mode" -v a="$ours" -v b="$theirs" 'BEGIN { printf "%s: oddity %.3e, numpy %.3e events/s, ratio %.1fx\n", m, a, b, a / b }'
done | tee -a "$LOG"
[ "${KEEP:-0}" = 1 ] || rm -rf "$DATA"
echo "== written $LOG"
