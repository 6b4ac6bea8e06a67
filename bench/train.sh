#!/usr/bin/env bash
# Training throughput (forward + backward + Adam step, events/s), Oddity (oddity-nn on libtorch
# through tch) vs PyTorch eager, CPU, same shapes, same thread count, in one run. For each model
# the Rust binary and the Python script run one after the other. Raw outputs go to bench/out/.
#
#   bench/train.sh                      # mlp, part-small, part-full; 2 threads; ~4 s per timed run
#   MODELS=mlp,part-small bench/train.sh
#   THREADS=2 SECS=4 REPEATS=3 WARMUP=3 bench/train.sh
#   PYTHON=/path/to/python bench/train.sh   # default: .libtorch/venv/bin/python (the libtorch of tch)
#
# Targets: MLP >= 1.5x PyTorch, ParT (small and full) >= 1.0x.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
MODELS="${MODELS:-mlp,part-small,part-full}"
THREADS="${THREADS:-2}"
SECS="${SECS:-4}"
REPEATS="${REPEATS:-3}"
WARMUP="${WARMUP:-3}"
PYTHON="${PYTHON:-$ROOT/.libtorch/venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
BASE="$OUT/train_$STAMP"
COMMON=(--threads "$THREADS" --secs "$SECS" --repeats "$REPEATS" --warmup "$WARMUP")

echo "== build (release)"
cargo build --release -p oddity-bench --bin train_throughput

TORCH_VERSION="$("$PYTHON" -c 'import torch; print(torch.__version__)')"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cpu detail: family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), avx2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no), avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
  echo "mem: $(free -g | awk '/Mem:/{print $2" GiB"}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "torch: $TORCH_VERSION ($PYTHON); libtorch of tch: the same installation (.libtorch/torch)"
  echo "rustc: $(rustc --version)"
  echo "threads: $THREADS intra-op, 1 inter-op; target ${SECS} s per timed run, median of $REPEATS, $WARMUP warm-up steps"
} | tee "$BASE.machine.txt"

: > "$BASE.oddity.txt"
: > "$BASE.torch.txt"
IFS=',' read -r -a LIST <<< "$MODELS"
for m in "${LIST[@]}"; do
  echo "== $m: oddity"
  ./target/release/train_throughput --models "$m" "${COMMON[@]}" --json "$BASE.oddity.$m.json" | tee -a "$BASE.oddity.txt"
  echo "== $m: pytorch"
  "$PYTHON" bench/python/train_torch.py --models "$m" "${COMMON[@]}" --json "$BASE.torch.$m.json" | tee -a "$BASE.torch.txt"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$BASE.machine.txt"

echo "== result"
"$PYTHON" - "$BASE" "$MODELS" "$TORCH_VERSION" <<'EOF'
import json, sys
base, models, torch_version = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
machine = dict(l.rstrip("\n").split(": ", 1) for l in open(base + ".machine.txt") if ": " in l)
target = {"mlp": 1.5, "part-small": 1.0, "part-full": 1.0}
rows, lines = [], []
head = f"{'model':11} {'batch':>5} {'Oddity ev/s':>12} {'PyTorch ev/s':>12} {'Oddity ms/step':>14} {'PyTorch ms/step':>15} {'ratio':>6} {'target':>6}  met"
lines += [head, "-" * len(head)]
for m in models:
    o = json.load(open(f"{base}.oddity.{m}.json"))["results"][0]
    p = json.load(open(f"{base}.torch.{m}.json"))["results"][0]
    r = o["events_per_s"] / p["events_per_s"]
    t = target.get(m, 1.0)
    rows.append({"model": m, "batch": o["batch"], "params": o["params"], "oddity": o, "pytorch": p, "ratio": r, "target": t, "met": r >= t})
    lines.append(f"{m:11} {o['batch']:5d} {o['events_per_s']:12.0f} {p['events_per_s']:12.0f} {o['ms_per_step']:14.3f} {p['ms_per_step']:15.3f} {r:5.2f}x {t:5.1f}x  {'yes' if r >= t else 'NO'}")
lines.append("")
lines.append("phases, ms/step (zero_grad / forward+loss / backward / optimizer step), median run:")
for row in rows:
    for side in ("oddity", "pytorch"):
        ph = row[side]["phases_ms_per_step"]
        lines.append(f"  {row['model']:11} {side:8} " + " / ".join(f"{ph[k]:9.3f}" for k in ("zero_grad", "forward", "backward", "step")))
text = "\n".join(lines)
print(text)
open(base + ".summary.txt", "w").write(text + "\n")
json.dump({"machine": machine, "torch_version": torch_version, "results": rows}, open(base + ".summary.json", "w"), indent=2)
EOF
echo "outputs: $BASE.{machine,oddity,torch,summary}.txt, $BASE.{oddity,torch}.<model>.json, $BASE.summary.json"
