#!/usr/bin/env bash
# BumpHunter 1D hunt of physics-spec §9.6 (60 bins, widths 2-6, 10 000 pseudo-experiments,
# seed 666) timed in Oddity (release example) and in pyBumpHunter 0.5.1 (nworker=1, its
# single-thread loop) on the same histograms in the same run, in ROUNDS interleaved rounds
# (each: Oddity best of REPEAT, then pyBumpHunter once) with the load average before each;
# prints the best time of each side, pseudo-experiments/s and the ratio. Raw output goes to
# bench/out/.
#
#   bench/bumphunter.sh
#   ROUNDS=5 REPEAT=5 NPE=20000 bench/bumphunter.sh
#   RAYON_NUM_THREADS=1 bench/bumphunter.sh     # Oddity on one thread as well
#
# The peer runs in bench/out/venv-bumphunter (created from
# tools/reference/requirements-bumphunter.txt if missing; PYTHON overrides it).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
NPE="${NPE:-10000}"
REPEAT="${REPEAT:-5}"
PY_REPEAT="${PY_REPEAT:-1}"
ROUNDS="${ROUNDS:-3}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$OUT/bumphunter_$STAMP.txt"
VENV="$OUT/venv-bumphunter"
PYTHON="${PYTHON:-$VENV/bin/python}"

if [ ! -x "$PYTHON" ]; then
  echo "== creating $VENV (pyBumpHunter 0.5.1)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tools/reference/requirements-bumphunter.txt
fi

echo "== build (release)"
cargo build --release -p oddity-stats --example bumphunt_throughput

peer() {
  "$PYTHON" - "$NPE" "$PY_REPEAT" <<'PY'
import contextlib, io, json, sys, time
import numpy as np
from pyBumpHunter import BumpHunter1D
npe, repeat = int(sys.argv[1]), int(sys.argv[2])
ref = json.load(open("crates/oddity-stats/tests/data/bumphunter_reference.json"))["one_d"]
data, bkg = np.array(ref["data"]), np.array(ref["background"], dtype=float)
best = float("inf")
for run in range(1, repeat + 1):
    h = BumpHunter1D(rang=[0, 20], bins=60, width_min=2, width_max=6, width_step=1,
                     scan_step=1, npe=npe, nworker=1, seed=666)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        h.bump_scan(data, bkg, is_hist=True)
    seconds = time.perf_counter() - start
    best = min(best, seconds)
    print(f"run {run}: {seconds:.4f} s, global p {h.global_Pval}, local p {h.min_Pval_ar[0]:.5e}")
print(f"pyBumpHunter: npe {npe}, best {best:.4f} s, {npe / best:.0f} pseudo-experiments/s")
PY
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "RAYON_NUM_THREADS: ${RAYON_NUM_THREADS:-unset}"
  echo "rustc: $(rustc --version)"
  echo "python: $("$PYTHON" --version 2>&1), $("$PYTHON" -c 'import pyBumpHunter, numpy; print("pyBumpHunter", pyBumpHunter.__version__, "numpy", numpy.__version__)')"
  for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round/$ROUNDS, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "-- Oddity: $REL/examples/bumphunt_throughput --npe $NPE --repeat $REPEAT"
    "$REL"/examples/bumphunt_throughput --npe "$NPE" --repeat "$REPEAT"
    echo "-- pyBumpHunter 0.5.1 (nworker=1), $PY_REPEAT run(s)"
    peer
  done
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$LOG"

ODD="$(sed -n 's/^oddity: .* best \([0-9.]*\) s.*/\1/p' "$LOG" | sort -g | head -1)"
PEER="$(sed -n 's/^pyBumpHunter: .* best \([0-9.]*\) s.*/\1/p' "$LOG" | sort -g | head -1)"
echo "best over $ROUNDS rounds: Oddity $ODD s ($(python3 -c "print(f'{$NPE / $ODD:.0f}')") PE/s), pyBumpHunter $PEER s ($(python3 -c "print(f'{$NPE / $PEER:.0f}')") PE/s)" | tee -a "$LOG"
python3 -c "import sys; o, p = float(sys.argv[1]), float(sys.argv[2]); print(f'ratio pyBumpHunter/Oddity (best wall time): {p / o:.1f}x (target >= 100x: {\"met\" if p / o >= 100 else \"not met\"})')" \
  "$ODD" "$PEER" | tee -a "$LOG"
echo "== written $LOG"
