#!/usr/bin/env bash
# Training throughput on CUDA (forward + backward + Adam step, events/s): Oddity's
# train_throughput against PyTorch eager (bench/python/train_torch.py), same shapes, same
# inputs, interleaved rounds, in one run. Made for a lent GPU machine, where nothing is
# built: the binary is built here and carried.
#
# Here (CPU machine), once:
#   cargo build --release -p oddity-bench --bin train_throughput
#   mkdir -p bench/out/gpu && cp "${CARGO_TARGET_DIR:-target}/release/train_throughput" bench/out/gpu/
#   strip bench/out/gpu/train_throughput          # < 64 MiB travels
# There (the device tool: carry ["bench/out/gpu"]; python3 holds torch 2.11 with CUDA):
#   bench/gpu.sh                                  # results in $OUT (or bench/out/gpu)
#   MODELS=part-full BATCH=part-full=512 ROUNDS=3 SECS=3 bench/gpu.sh
#
# The binary links libtorch 2.11.0 (cu130) by rpath to this project's .libtorch, which does
# not travel; the device's own torch 2.11 libraries are put on LD_LIBRARY_PATH instead.
# Writes two files (the device tool returns at most eight): gpu.log and gpu_results.json
# (every run of both sides, and per model the per-round ratios and their median).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-bench/out/gpu/train_throughput}"
PYTHON="${PYTHON:-python3}"
DEST="${OUT:-bench/out/gpu}"
DEVICE="${DEVICE:-cuda}"
MODELS="${MODELS:-part-full,part-small,mlp}"
BATCH="${BATCH:-part-full=512}"
ROUNDS="${ROUNDS:-3}"
SECS="${SECS:-3}"
WARMUP="${WARMUP:-5}"
mkdir -p "$DEST"
RUNS="$(mktemp -d)"
LOG="$DEST/gpu.log"

TORCH_LIB="$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  echo "torch: $("$PYTHON" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())')"
  echo "libtorch for the binary: $TORCH_LIB"
  echo "models $MODELS, batch override $BATCH, $ROUNDS rounds, ${SECS} s per timed run, $WARMUP warm-up steps, device $DEVICE"
} | tee "$LOG"

COMMON=(--device "$DEVICE" --secs "$SECS" --repeats 1 --warmup "$WARMUP" --batch "$BATCH")
IFS=',' read -r -a LIST <<< "$MODELS"
for m in "${LIST[@]}"; do
  for r in $(seq 1 "$ROUNDS"); do
    echo "== $m, round $r/$ROUNDS: oddity" | tee -a "$LOG"
    "$BIN" --models "$m" "${COMMON[@]}" --json "$RUNS/oddity.$m.r$r.json" 2>&1 | tee -a "$LOG"
    echo "== $m, round $r/$ROUNDS: pytorch" | tee -a "$LOG"
    "$PYTHON" bench/python/train_torch.py --models "$m" "${COMMON[@]}" --json "$RUNS/torch.$m.r$r.json" 2>&1 | tee -a "$LOG"
  done
done

"$PYTHON" - "$RUNS" "$ROUNDS" "$DEST/gpu_results.json" "${LIST[@]}" <<'EOF' | tee -a "$LOG"
import json, statistics, sys
runs, rounds, dest, models = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
load = lambda side, m, r: json.load(open(f"{runs}/{side}.{m}.r{r}.json"))
out = {"rounds": rounds, "models": {}}
for m in models:
    o = [load("oddity", m, r) for r in range(1, rounds + 1)]
    t = [load("torch", m, r) for r in range(1, rounds + 1)]
    ratios = [a["results"][0]["events_per_s"] / b["results"][0]["events_per_s"] for a, b in zip(o, t)]
    row = {"oddity": o, "pytorch": t, "ratios": ratios, "median_ratio": statistics.median(ratios)}
    out["models"][m] = row
    r0 = o[0]["results"][0]
    print(f"{m:10} batch {r0['batch']:5} {r0['device']}: oddity {statistics.median(x['results'][0]['events_per_s'] for x in o):12.0f} ev/s, "
          f"pytorch {statistics.median(x['results'][0]['events_per_s'] for x in t):12.0f} ev/s, "
          f"ratio {row['median_ratio']:.2f}x (rounds {' '.join(f'{x:.2f}' for x in ratios)})")
json.dump(out, open(dest, "w"), indent=1)
EOF
rm -rf "$RUNS"
