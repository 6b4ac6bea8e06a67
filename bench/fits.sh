#!/usr/bin/env bash
# Background-fit and CLs-limit throughput of oddity-stats on realistic spectra (ATLAS binning,
# 130 fitted bins, 1.4 M-event Poisson toys of the nominal dijet function), with the
# numpy/scipy implementation of tools/reference/fit_reference.py run side by side on the same
# spectrum (same staged Poisson fit, one start point; same asymptotic CLs limit). Raw output
# goes to bench/out/.
#
#   bench/fits.sh                          # 200 spectra, 20 masses, all cores
#   SPECTRA=50 MASSES=10 bench/fits.sh
#   RAYON_NUM_THREADS=2 bench/fits.sh      # the 2-core reference setting
#   PYTHON=python3 bench/fits.sh           # a Python with numpy and scipy (else the venv of
#                                          # tools/reference/requirements-fit.txt; skipped if none)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
SPECTRA="${SPECTRA:-200}"
MASSES="${MASSES:-20}"
PY_REPEAT="${PY_REPEAT:-3}"
PYTHON="${PYTHON:-$ROOT/tools/reference/.venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$OUT/fits_$STAMP.txt"
SPECTRUM="$OUT/fit_spectrum.json"

echo "== build (release)"
cargo build --release -p oddity-stats --example fit_throughput
BIN="$REL"/examples/fit_throughput

value() { grep "^$1:" "$2" | head -1 | awk '{print $2}'; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "RAYON_NUM_THREADS: ${RAYON_NUM_THREADS:-unset}"
  echo "rustc: $(rustc --version)"
  echo "== oddity, 4 restarts (default)"
  echo "command: $BIN --spectra $SPECTRA --masses $MASSES --restarts 4 --write-spectrum $SPECTRUM"
  "$BIN" --spectra "$SPECTRA" --masses "$MASSES" --restarts 4 --write-spectrum "$SPECTRUM" | tee "$OUT/fits_oddity4.txt"
  echo "== oddity, 1 start point (as the peer)"
  echo "command: $BIN --spectra $SPECTRA --masses $MASSES --restarts 1"
  "$BIN" --spectra "$SPECTRA" --masses "$MASSES" --restarts 1 | tee "$OUT/fits_oddity1.txt"
  if [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1; then
    echo "== scipy peer (single-threaded BLAS)"
    echo "command: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $PYTHON tools/reference/fit_reference.py --bench $SPECTRUM --repeat $PY_REPEAT"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" tools/reference/fit_reference.py --bench "$SPECTRUM" --repeat "$PY_REPEAT" | tee "$OUT/fits_scipy.txt"
    fit_r=$(value fits_per_s_1thread "$OUT/fits_oddity1.txt")
    fit_p=$(value scipy_fits_per_s_1thread "$OUT/fits_scipy.txt")
    lim_r=$(value limits_per_s_1thread "$OUT/fits_oddity4.txt")
    lim_p=$(value scipy_limits_per_s_1thread "$OUT/fits_scipy.txt")
    echo "== ratio oddity/scipy, one thread each"
    awk -v a="$fit_r" -v b="$fit_p" 'BEGIN { printf "fits (1 start point): %.1f / %.2f per s = %.0fx\n", a, b, a / b }'
    awk -v a="$lim_r" -v b="$lim_p" 'BEGIN { printf "limits (oddity with 4 restarts in its background fit): %.2f / %.3f per s = %.0fx\n", a, b, a / b }'
  else
    echo "== scipy peer skipped: $PYTHON not found (see tools/reference/requirements-fit.txt)"
  fi
} 2>&1 | tee "$LOG"
echo "== written $LOG"
