#!/usr/bin/env bash
# ROOT column read throughput (Oddity's oxyroot-based reader vs uproot, side by side on the same
# files) and the nine invariant masses in events/s. Raw output goes to bench/out/.
#
#   bench/root.sh                          # data.root + a generated 5 M-entry file, 5 repetitions
#   ENTRIES=1000000 REPEAT=3 bench/root.sh
#   PYTHON=tools/reference/.venv/bin/python bench/root.sh   # the venv of requirements-root.txt
#   PROFILE=dev CARGO_PROFILE_DEV_OPT_LEVEL=2 bench/root.sh  # reuse the dev build of the deps
#                                                             # (opt-level 2) instead of --release
#
# Files: ../shared/data/bumphunter/data.root (written by ROOT: 3 trees x 3 cycles, one double
# branch each) and bench/out/big_flat_ENTRIES_b100k.root (written once by uproot in baskets of 100 000
# entries: tree `events` with double, float, int32 and bool branches of ENTRIES random values). Both sides read every flat numeric
# branch of every tree (highest cycle) into f64 / numpy float64 and report MB/s (file bytes /
# best time) and values/s; the script prints Oddity/uproot. Masses: the DarkMachines chan3 file
# appended COPIES times, oddity_core::table_masses timed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
ENTRIES="${ENTRIES:-5000000}"
REPEAT="${REPEAT:-5}"
COPIES="${COPIES:-200}"
PYTHON="${PYTHON:-python3}"
SHARED="$ROOT/../shared/data"
CSV="$SHARED/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv"
BIG="$OUT/big_flat_${ENTRIES}_b100k.root"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$OUT/root_$STAMP.txt"

PROFILE="${PROFILE:-release}"
BIN="$ROOT/target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/examples/root_bench"

echo "== build ($PROFILE)"
cargo build --profile "$PROFILE" -p oddity-io --example root_bench

if [ ! -f "$BIG" ]; then
  echo "== writing $BIG with uproot"
  "$PYTHON" - "$BIG" "$ENTRIES" <<'PY'
import sys
import numpy as np
import uproot
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
basket = 100_000  # entries per TBasket, as ROOT writes them; oxyroot 0.1.25 fails on baskets over 16 MiB
with uproot.recreate(path) as f:
    for start in range(0, n, basket):
        k = min(basket, n - start)
        chunk = {
            "m": rng.exponential(500.0, k),
            "score": rng.normal(size=k).astype(np.float32),
            "njet": rng.integers(0, 12, k, dtype=np.int32),
            "pass": rng.random(k) < 0.3,
        }
        if start == 0:
            f.mktree("events", {name: a.dtype for name, a in chunk.items()})
        f["events"].extend(chunk)
PY
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbs() { sed -n 's/.* \([0-9.]*\) MB\/s.*/\1/p' <<<"$1"; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version); profile: $PROFILE; CARGO_PROFILE_DEV_OPT_LEVEL: ${CARGO_PROFILE_DEV_OPT_LEVEL:-unset}"
  echo "python: $("$PYTHON" --version 2>&1)"
  for f in "$SHARED/bumphunter/data.root" "$BIG"; do
    echo "== $(basename "$f")"
    echo "command: $BIN $f --repeat $REPEAT"
    o="$("$BIN" "$f" --repeat "$REPEAT")"
    echo "$o"
    echo "command: $PYTHON bench/python/root_uproot.py $f --repeat $REPEAT"
    u="$("$PYTHON" bench/python/root_uproot.py "$f" --repeat "$REPEAT")"
    echo "$u"
    echo "ratio Oddity/uproot (MB/s): $(ratio "$(mbs "$o")" "$(mbs "$u")")"
  done
  echo "== masses"
  echo "command: $BIN $SHARED/bumphunter/data.root --repeat $REPEAT --csv $CSV --copies $COPIES"
  "$BIN" "$SHARED/bumphunter/data.root" --repeat "$REPEAT" --csv "$CSV" --copies "$COPIES" | grep masses
} 2>&1 | tee "$LOG"
echo "== written $LOG"
