#!/usr/bin/env bash
# Evaluation throughput: weighted ROC + AUC + eS at eB = 1e-2, 1e-3, 1e-4 on 10 million scored
# events (random scores with heavy ties, weights over 4 orders of magnitude), oddity-eval only.
# Raw output goes to bench/out/.
#
#   bench/eval.sh                       # 10 M events, 3 repetitions, all cores
#   EVENTS=1000000 REPEAT=5 bench/eval.sh
#   RAYON_NUM_THREADS=2 bench/eval.sh   # the 2-core reference setting
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
EVENTS="${EVENTS:-10000000}"
REPEAT="${REPEAT:-3}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$OUT/eval_$STAMP.txt"

echo "== build (release)"
cargo build --release -p oddity-eval --example eval_bench

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "RAYON_NUM_THREADS: ${RAYON_NUM_THREADS:-unset}"
  echo "rustc: $(rustc --version)"
  echo "command: $REL/examples/eval_bench --events $EVENTS --repeat $REPEAT"
  "$REL"/examples/eval_bench --events "$EVENTS" --repeat "$REPEAT"
} 2>&1 | tee "$LOG"
echo "== written $LOG"
