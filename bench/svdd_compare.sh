#!/usr/bin/env bash
# DeepSVDD-MLP on the embedded sample: Oddity against an independent PyTorch implementation
# (bench/python/deep_svdd_torch.py) on exactly the same split and standardised inputs, same
# settings (CONFIG, default examples/demo.toml), same thread count. Reports per signal the AUC
# and eS at eB = 1e-2 of both, and the training time of both. Raw outputs in bench/out/.
#
#   bench/svdd_compare.sh
#   CONFIG=examples/deep-svdd-mlp.toml THREADS=2 bench/svdd_compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
CONFIG="${CONFIG:-examples/demo.toml}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-$ROOT/.libtorch/venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/out/svdd_$STAMP"
mkdir -p "$OUT"
SIGNALS=(data/gluino_1400_neutralino_800_chan3.csv.gz data/zprime_ttbar_2000_chan3.csv.gz data/excited_quark_zvv_2500_chan3.csv.gz)

echo "== build (release)"
./scripts/setup-libtorch.sh
cargo build --release --locked -p oddity-cli -p oddity-bench --bin oddity --bin svdd_reference_data

echo "== Oddity ($CONFIG, $THREADS threads)"
export OMP_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
"$REL"/oddity --quiet train --config "$CONFIG" --set data.device=cpu -o "$OUT/run"
"$REL"/oddity --quiet score "$OUT/run" "${SIGNALS[@]}" -o "$OUT/signals.parquet"
"$REL"/oddity eval --background "$OUT/run/scores/background_test.parquet" \
    --signal "$OUT/signals.parquet" -o "$OUT/eval" | tee "$OUT/oddity.txt"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(f\"Oddity training: {m['seconds']:.1f} s\")" \
    "$OUT/run/manifest.json" | tee -a "$OUT/oddity.txt"

echo "== PyTorch reference (same split and inputs)"
"$REL"/svdd_reference_data --run "$OUT/run" --signal "${SIGNALS[@]}" --out "$OUT/inputs.npz" >/dev/null
"$PYTHON" bench/python/deep_svdd_torch.py "$OUT/inputs.npz" "$OUT/run/config.resolved.toml" \
    --threads "$THREADS" --json "$OUT/torch.json" | tee "$OUT/torch.txt"
echo "raw outputs: $OUT"
