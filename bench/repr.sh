#!/usr/bin/env bash
# Representation encoding throughput: Oddity (oddity-repr, rayon) vs a vectorised NumPy
# implementation (bench/python/repr_numpy.py), on the same in-memory input: the real
# DarkMachines file concatenated REPEAT times (default 16 x 6399 = 102 384 events). Parsing is
# not timed on either side. Raw outputs go to bench/out/repr_<stamp>.*.
#
#   bench/repr.sh                    # build, run both, print the table and the ratios
#   REPEAT=8 RUNS=5 bench/repr.sh    # smaller input, more runs (default RUNS=3)
#   ROUNDS=5 bench/repr.sh           # interleaved rounds (default 3)
#   PY_REPEAT=4 bench/repr.sh        # NumPy on fewer copies (throughput is per event)
#   ONE_THREAD=0 bench/repr.sh       # skip the extra single-thread Oddity run
#   CHUNK=2048 bench/repr.sh         # events per NumPy chunk (default 4096)
#   STREAM=2048 bench/repr.sh        # also both sides batch after batch of 2048 events into one buffer
#
# Two like-for-like comparisons, each side with the efficient NumPy encoders (pair features and
# RMM computed on the list of real pairs only, both written as ragged rows): (1) output
# allocated by every call (Oddity `encode`, NumPy `np.zeros`/`np.empty`), (2) output
# preallocated once and refilled by every run (Oddity
# `encode_into`, NumPy `fill(0)` then the same encoders), where neither side pays the page
# faults of fresh memory. Also shown: Oddity on one thread, and the straightforward dense NumPy
# variants (weaver-style [P, P] pair grid, dense 36 x 36 RMM).
#
# This VM's speed drifts by tens of per cent within minutes, so the two sides run interleaved:
# ROUNDS rounds of (Oddity, NumPy); the verdict uses the median of the per-round ratios.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
FILE="${FILE:-/work/shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv}"
REPEAT="${REPEAT:-16}"
PY_REPEAT="${PY_REPEAT:-$REPEAT}"
RUNS="${RUNS:-3}"
ROUNDS="${ROUNDS:-3}"
ONE_THREAD="${ONE_THREAD:-1}"
CHUNK="${CHUNK:-4096}"
STREAM_ARGS=()
if [[ -n "${STREAM:-}" ]]; then STREAM_ARGS=(--stream "$STREAM"); fi
if [[ -z "${PYTHON:-}" ]]; then
  # The first Python with numpy: the generator's venv, the libtorch venv (numpy 2.4.6), python3.
  PYTHON=python3
  for py in "$ROOT/tools/generate/.venv/bin/python" "$ROOT/.libtorch/venv/bin/python"; do
    if [[ -x "$py" ]] && "$py" -c 'import numpy' 2>/dev/null; then PYTHON="$py"; break; fi
  done
fi
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
P="$OUT/repr_$STAMP"

echo "== build (release)"
cargo build --release -p oddity-bench --bin repr_throughput

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "mem: $(free -g | awk '/Mem:/{print $2" GiB"}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "file: $FILE x $REPEAT (numpy x $PY_REPEAT), runs $RUNS per side and round, $ROUNDS interleaved rounds"
  echo "rustc: $(rustc --version)"
  echo "python: $($PYTHON --version 2>&1), numpy $($PYTHON -c 'import numpy; print(numpy.__version__)')"
} > "$P.machine.txt"
cat "$P.machine.txt"

REPRS=(fixed fixed18 particles part4sm rmm)
LIST="$(IFS=,; echo "${REPRS[*]}")"
for k in $(seq 1 "$ROUNDS"); do
  # One process per side and round for all representations: NumPy's later encoders run
  # faster in a process that has already run others (allocator state), as they did before.
  echo "== round $k/$ROUNDS: oddity (all threads)"
  "$REL"/repr_throughput "$FILE" --repeat "$REPEAT" --runs "$RUNS" --reprs "$LIST" --reuse "${STREAM_ARGS[@]}" \
    --json "$P.oddity.r$k.json" 2>&1 | tee -a "$P.oddity.txt"
  echo "== round $k/$ROUNDS: numpy"
  $PYTHON bench/python/repr_numpy.py "$FILE" --repeat "$PY_REPEAT" --runs "$RUNS" --chunk "$CHUNK" \
    --reprs "$LIST" --reuse "${STREAM_ARGS[@]}" --json "$P.numpy.r$k.json" 2>&1 | tee -a "$P.numpy.txt"
done
if [[ "$ONE_THREAD" == 1 ]]; then
  echo "== oddity (1 thread)"
  "$REL"/repr_throughput "$FILE" --repeat "$REPEAT" --runs "$RUNS" --threads 1 --json "$P.oddity1.json" 2>&1 \
    | tee -a "$P.oddity.txt"
fi
echo "== numpy, dense variants"
$PYTHON bench/python/repr_numpy.py "$FILE" --repeat "$PY_REPEAT" --runs "$RUNS" --chunk "$CHUNK" \
  --reprs part4sm-dense,rmm-dense --json "$P.numpy_dense.json" 2>&1 | tee -a "$P.numpy.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$P.machine.txt"

echo "== result"
$PYTHON - "$P" "$ROUNDS" "${REPRS[@]}" <<'EOF' | tee "$P.summary.txt"
import json, os, statistics, sys
p, rounds, reprs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
by = lambda f: {x["repr"]: x for x in json.load(open(f))["results"]}
ro = [by(f"{p}.oddity.r{k}.json") for k in range(1, rounds + 1)]
rn = [by(f"{p}.numpy.r{k}.json") for k in range(1, rounds + 1)]
o = {r: [x[r] for x in ro] for r in reprs}
n = {r: [x[r] for x in rn] for r in reprs}
o1 = {x["repr"]: x for x in json.load(open(p + ".oddity1.json"))["results"]} if os.path.exists(p + ".oddity1.json") else {}
dense = {x["repr"]: x for x in json.load(open(p + ".numpy_dense.json"))["results"]}
print(open(p + ".machine.txt").read().rstrip())
label = {"fixed": "fixed per-type (72)", "fixed18": "fixed any-type 18 (92)", "particles": "particles P=20",
         "part4sm": "particles + part4 + SM", "rmm": "RMM atlas (1287), stored cells"}
med = statistics.median
print(f"\n{rounds} interleaved rounds (Oddity, then NumPy, all representations, each best of its runs); "
      "events/s are medians over rounds, ratios the median of the per-round ratios; encoding only (parsing excluded)\n")
print("| representation | Oddity, all threads | NumPy | ratio | Oddity, preallocated | NumPy, preallocated | ratio, preallocated | per-round ratios, preallocated |"
      + (" Oddity, 1 thread |" if o1 else ""))
print("|---|---:|---:|---:|---:|---:|---:|---|" + ("---:|" if o1 else ""))
ok_fresh = ok_pre = True
for r in reprs:
    fresh = [a["events_per_s"] / b["events_per_s"] for a, b in zip(o[r], n[r])]
    pre = [a["reuse"]["events_per_s"] / b["reuse"]["events_per_s"] for a, b in zip(o[r], n[r])]
    ok_fresh &= med(fresh) >= 10
    ok_pre &= med(pre) >= 10
    row = (f"| {label[r]} | {med(a['events_per_s'] for a in o[r]):,.0f} | {med(b['events_per_s'] for b in n[r]):,.0f} | "
           f"{med(fresh):.1f}x | {med(a['reuse']['events_per_s'] for a in o[r]):,.0f} | "
           f"{med(b['reuse']['events_per_s'] for b in n[r]):,.0f} | {med(pre):.1f}x | {' '.join(f'{x:.1f}' for x in pre)} |")
    if o1:
        row += f" {o1[r]['events_per_s']:,.0f} |"
    print(row)
print(f"\n>= 10x NumPy for every representation: output allocated per call {'yes' if ok_fresh else 'NO'}; "
      f"preallocated output {'yes' if ok_pre else 'NO'}\n")
print("Against the dense (weaver-style) NumPy variants, output allocated per call:\n")
print("| representation | Oddity | NumPy dense | Oddity/NumPy dense |")
print("|---|---:|---:|---:|")
for r in reprs:
    d = dense.get(r + "-dense")
    if d:
        x = med(a["events_per_s"] for a in o[r])
        print(f"| {label[r]} | {x:,.0f} | {d['events_per_s']:,.0f} | {x / d['events_per_s']:.1f}x |")
EOF
