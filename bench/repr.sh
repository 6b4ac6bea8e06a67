#!/usr/bin/env bash
# Representation encoding throughput: Oddity (oddity-repr, rayon) vs a vectorised NumPy
# implementation (bench/python/repr_numpy.py), on the same in-memory input: the real
# DarkMachines file concatenated REPEAT times (default 16 x 6399 = 102 384 events). Parsing is
# not timed on either side. Raw outputs go to bench/out/repr_<stamp>.*.
#
#   bench/repr.sh                    # build, run both, print the table and the ratios
#   REPEAT=8 RUNS=5 bench/repr.sh    # smaller input, more runs (default RUNS=3)
#   PY_REPEAT=4 bench/repr.sh        # NumPy on fewer copies (throughput is per event)
#   ONE_THREAD=0 bench/repr.sh       # skip the extra single-thread Oddity run
#   CHUNK=2048 bench/repr.sh         # events per NumPy chunk (default 4096)
#   STREAM=2048 bench/repr.sh        # also both sides batch after batch of 2048 events into one buffer
#
# Two like-for-like comparisons, each side with the efficient NumPy encoders (pair features and
# RMM computed on the list of real pairs only): (1) output allocated by every call (Oddity
# `encode`, NumPy `np.zeros`), (2) output preallocated once and refilled by every run (Oddity
# `encode_into`, NumPy `fill(0)` then the same encoders), where neither side pays the page
# faults of fresh memory. Also shown: Oddity on one thread, and the straightforward dense NumPy
# variants (weaver-style [P, P] pair grid, dense 36 x 36 RMM).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
FILE="${FILE:-/work/shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv}"
REPEAT="${REPEAT:-16}"
PY_REPEAT="${PY_REPEAT:-$REPEAT}"
RUNS="${RUNS:-3}"
ONE_THREAD="${ONE_THREAD:-1}"
CHUNK="${CHUNK:-4096}"
STREAM_ARGS=()
if [[ -n "${STREAM:-}" ]]; then STREAM_ARGS=(--stream "$STREAM"); fi
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/tools/generate/.venv/bin/python" ]]; then PYTHON="$ROOT/tools/generate/.venv/bin/python"; else PYTHON=python3; fi
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
  echo "file: $FILE x $REPEAT (numpy x $PY_REPEAT), runs $RUNS"
  echo "rustc: $(rustc --version)"
  echo "python: $($PYTHON --version 2>&1), numpy $($PYTHON -c 'import numpy; print(numpy.__version__)')"
} > "$P.machine.txt"
cat "$P.machine.txt"

echo "== oddity (all threads)"
./target/release/repr_throughput "$FILE" --repeat "$REPEAT" --runs "$RUNS" --reuse "${STREAM_ARGS[@]}" --json "$P.oddity.json" 2>&1 \
  | tee "$P.oddity.txt"
if [[ "$ONE_THREAD" == 1 ]]; then
  echo "== oddity (1 thread)"
  ./target/release/repr_throughput "$FILE" --repeat "$REPEAT" --runs "$RUNS" --threads 1 --json "$P.oddity1.json" 2>&1 \
    | tee -a "$P.oddity.txt"
fi

echo "== numpy"
$PYTHON bench/python/repr_numpy.py "$FILE" --repeat "$PY_REPEAT" --runs "$RUNS" --chunk "$CHUNK" \
  --reprs fixed,fixed18,particles,part4sm,rmm,part4sm-dense,rmm-dense --reuse "${STREAM_ARGS[@]}" --json "$P.numpy.json" 2>&1 \
  | tee "$P.numpy.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$P.machine.txt"

echo "== result"
$PYTHON - "$P" <<'EOF' | tee "$P.summary.txt"
import json, os, sys
p = sys.argv[1]
o = json.load(open(p + ".oddity.json"))
o1 = json.load(open(p + ".oddity1.json")) if os.path.exists(p + ".oddity1.json") else None
n = json.load(open(p + ".numpy.json"))
print(open(p + ".machine.txt").read().rstrip())
label = {"fixed": "fixed per-type (72)", "fixed18": "fixed any-type 18 (92)", "particles": "particles P=20",
         "part4sm": "particles + part4 + SM", "rmm": "RMM atlas (1287)"}
by = lambda j: {r["repr"]: r for r in j["results"]}
ob, nb, o1b = by(o), by(n), by(o1) if o1 else {}
runs = lambda d: len(d[next(iter(d))]["times_s"])
print(f"\nOddity: {o['events']} events, best of {runs(ob)}; NumPy: {n['events']} events, best of {runs(nb)}, "
      f"chunks of {n['chunk']} events; events/s of the encoding only (parsing excluded)\n")
t = o["threads"]
ok_fresh, ok_reuse = True, True
print(f"| representation | Oddity, {t} threads | NumPy | Oddity/NumPy | Oddity into preallocated | NumPy into preallocated | Oddity/NumPy, preallocated |"
      + (" Oddity, 1 thread |" if o1 else ""))
print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if o1 else ""))
for name, r in ob.items():
    if name not in nb:
        continue
    ratio = r["events_per_s"] / nb[name]["events_per_s"]
    ok_fresh &= ratio >= 10
    ro, rn = r.get("reuse") or {}, nb[name].get("reuse") or {}
    if ro and rn:
        rr = ro["events_per_s"] / rn["events_per_s"]
        ok_reuse &= rr >= 10
        pre = f"{ro['events_per_s']:,.0f} | {rn['events_per_s']:,.0f} | {rr:.1f}x |"
    else:
        ok_reuse = False
        pre = "- | - | - |"
    row = f"| {label.get(name, name)} | {r['events_per_s']:,.0f} | {nb[name]['events_per_s']:,.0f} | {ratio:.1f}x | {pre}"
    if o1:
        row += f" {o1b[name]['events_per_s']:,.0f} |"
    print(row)
print(f"\n>= 10x NumPy for every representation ({t} threads): output allocated per call {'yes' if ok_fresh else 'NO'}; "
      f"preallocated output {'yes' if ok_reuse else 'NO'}\n")
print("Against the dense (weaver-style) NumPy variants, output allocated per call:\n")
print("| representation | Oddity | NumPy dense | Oddity/NumPy dense |")
print("|---|---:|---:|---:|")
for name, r in ob.items():
    dn = nb.get(name + "-dense")
    if dn:
        print(f"| {label.get(name, name)} | {r['events_per_s']:,.0f} | {dn['events_per_s']:,.0f} | {r['events_per_s'] / dn['events_per_s']:.1f}x |")
EOF
