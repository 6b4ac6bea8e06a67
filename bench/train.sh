#!/usr/bin/env bash
# Training throughput (forward + backward + Adam step, events/s), Oddity (oddity-nn on libtorch
# through tch) vs PyTorch eager, CPU, same shapes, same thread count, in one run. For each model
# the Rust binary and the Python script run one after the other. Raw outputs go to bench/out/.
#
#   bench/train.sh                      # mlp, part-small, part-full; 2 threads; ~4 s per timed run
#   MODELS=mlp,part-small bench/train.sh
#   THREADS=2 SECS=4 REPEATS=1 WARMUP=3 ROUNDS=5 bench/train.sh
#   PYTHON=/path/to/python bench/train.sh   # default: .libtorch/venv/bin/python (the libtorch of tch)
#   DEVICE=cuda bench/train.sh              # on a GPU machine with this checkout built (else bench/gpu.sh)
#
# Targets: MLP >= 1.5x PyTorch, ParT (small and full) >= 1.0x.
#
# This 2-core VM's speed drifts by +-30 % over a minute (noisy neighbours), so the two sides run
# interleaved: ROUNDS rounds of (Oddity, PyTorch), each side REPEATS timed runs per round. The
# verdict uses the median over rounds of the per-round ratio (both sides measured within the
# same ~10-20 s); the events/s columns are medians over rounds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
MODELS="${MODELS:-mlp,part-small,part-full}"
THREADS="${THREADS:-2}"
SECS="${SECS:-4}"
REPEATS="${REPEATS:-1}"
ROUNDS="${ROUNDS:-5}"
WARMUP="${WARMUP:-3}"
DEVICE="${DEVICE:-cpu}"
PYTHON="${PYTHON:-$ROOT/.libtorch/venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
BASE="$OUT/train_$STAMP"
COMMON=(--threads "$THREADS" --secs "$SECS" --repeats "$REPEATS" --warmup "$WARMUP" --device "$DEVICE")

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
  echo "threads: $THREADS intra-op, 1 inter-op; target ${SECS} s per timed run, median of $REPEATS per side and round, $ROUNDS interleaved rounds, $WARMUP warm-up steps"
} | tee "$BASE.machine.txt"

: > "$BASE.oddity.txt"
: > "$BASE.torch.txt"
IFS=',' read -r -a LIST <<< "$MODELS"
for m in "${LIST[@]}"; do
  for r in $(seq 1 "$ROUNDS"); do
    echo "== $m, round $r/$ROUNDS: oddity"
    "$REL"/train_throughput --models "$m" "${COMMON[@]}" --json "$BASE.oddity.$m.r$r.json" | tee -a "$BASE.oddity.txt"
    echo "== $m, round $r/$ROUNDS: pytorch"
    "$PYTHON" bench/python/train_torch.py --models "$m" "${COMMON[@]}" --json "$BASE.torch.$m.r$r.json" | tee -a "$BASE.torch.txt"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$BASE.machine.txt"

echo "== result"
"$PYTHON" - "$BASE" "$MODELS" "$TORCH_VERSION" "$ROUNDS" <<'EOF'
import json, statistics, sys
base, models, torch_version, rounds = sys.argv[1], sys.argv[2].split(","), sys.argv[3], int(sys.argv[4])


def median_run(runs):
    """The run whose events/s is the median over rounds (lower median for even counts)."""
    s = sorted(runs, key=lambda x: x["events_per_s"])
    return s[(len(s) - 1) // 2]


machine = dict(l.rstrip("\n").split(": ", 1) for l in open(base + ".machine.txt") if ": " in l)
target = {"mlp": 1.5, "part-small": 1.0, "part-full": 1.0}
rows, lines = [], []
head = f"{'model':11} {'batch':>5} {'Oddity ev/s':>12} {'PyTorch ev/s':>12} {'Oddity ms/step':>14} {'PyTorch ms/step':>15} {'ratio':>6} {'target':>6}  met"
lines += [head, "-" * len(head)]
for m in models:
    os_ = [json.load(open(f"{base}.oddity.{m}.r{k}.json"))["results"][0] for k in range(1, rounds + 1)]
    ps = [json.load(open(f"{base}.torch.{m}.r{k}.json"))["results"][0] for k in range(1, rounds + 1)]
    ratios = [a["events_per_s"] / b["events_per_s"] for a, b in zip(os_, ps)]
    r = statistics.median(ratios)
    o, p = median_run(os_), median_run(ps)
    t = target.get(m, 1.0)
    rows.append({"model": m, "batch": o["batch"], "params": o["params"], "oddity": o, "pytorch": p, "ratio": r,
                 "round_ratios": ratios, "oddity_rounds": os_, "pytorch_rounds": ps, "target": t, "met": r >= t})
    lines.append(f"{m:11} {o['batch']:5d} {o['events_per_s']:12.0f} {p['events_per_s']:12.0f} {o['ms_per_step']:14.3f} {p['ms_per_step']:15.3f} {r:5.2f}x {t:5.1f}x  {'yes' if r >= t else 'NO'}")
lines.append("")
lines.append("ratio per round (Oddity/PyTorch events/s; the verdict is their median):")
for row in rows:
    lines.append(f"  {row['model']:11} " + "  ".join(f"{x:.2f}x" for x in row["round_ratios"]))
lines.append("")
lines.append("phases, ms/step (zero_grad / forward+loss / backward / optimizer step), median run:")
for row in rows:
    for side in ("oddity", "pytorch"):
        ph = row[side]["phases_ms_per_step"]
        if ph is None:  # not measured on CUDA
            lines.append(f"  {row['model']:11} {side:8} (not measured on this device)")
            continue
        lines.append(f"  {row['model']:11} {side:8} " + " / ".join(f"{ph[k]:9.3f}" for k in ("zero_grad", "forward", "backward", "step")))
text = "\n".join(lines)
print(text)
open(base + ".summary.txt", "w").write(text + "\n")
json.dump({"machine": machine, "torch_version": torch_version, "results": rows}, open(base + ".summary.json", "w"), indent=2)
EOF
echo "outputs: $BASE.{machine,oddity,torch,summary}.txt, $BASE.{oddity,torch}.<model>.r<round>.json, $BASE.summary.json"
