#!/usr/bin/env bash
# The DarkMachines winner's recipe on the embedded sample: the DeepSVDD ensemble of
# examples/demo.toml and the normalising flow of examples/flow-efficient.toml (EPOCHS epochs),
# each trained on the embedded background, combined with AND, OR, AVG and PROD of their
# calibrated scores (physics-spec §7.8; calibration on each run's validation split, which
# neither trained on; evaluation on the test split and the three signals). Prints AUC and eS
# at eB = 1e-2, 1e-3, 1e-4 per signal for both members and every combination.
#
#   bench/combine_embedded.sh                       # release build, 10 flow epochs
#   PROFILE=debug EPOCHS=1 bench/combine_embedded.sh
#
# Raw outputs: bench/out/combine_embedded_<UTC stamp>/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PROFILE="${PROFILE:-release}"
EPOCHS="${EPOCHS:-10}"
THREADS="${THREADS:-2}"
OUT="$ROOT/bench/out/combine_embedded_$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
./scripts/setup-libtorch.sh
if [ "$PROFILE" = release ]; then cargo build --release -p oddity-cli; else cargo build -p oddity-cli; fi
BIN="$ROOT/target/$PROFILE/oddity"
export OMP_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
SIGNALS=(data/excited_quark_zvv_2500_chan3.csv.gz data/gluino_1400_neutralino_800_chan3.csv.gz data/zprime_ttbar_2000_chan3.csv.gz)

echo "== train (load: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -f "svdd: %e s" "$BIN" --quiet train --config examples/demo.toml -o "$OUT/svdd"
/usr/bin/time -f "flow: %e s" "$BIN" --quiet train --config examples/flow-efficient.toml \
    --set "train.epochs=$EPOCHS" --set 'data.device="cpu"' -o "$OUT/flow"
for r in svdd flow; do
  "$BIN" --quiet score "$OUT/$r" "${SIGNALS[@]}" -o "$OUT/$r-sig.parquet"
  "$BIN" --quiet eval --background "$OUT/$r/scores/background_test.parquet" --signal "$OUT/$r-sig.parquet" -o "$OUT/eval-$r" >/dev/null
done
for m in and or avg prod; do
  "$BIN" --quiet combine --mode "$m" \
      --calibration "$OUT/svdd/scores/background_valid.parquet" --calibration "$OUT/flow/scores/background_valid.parquet" \
      --scores "$OUT/svdd/scores/background_test.parquet" --scores "$OUT/flow/scores/background_test.parquet" \
      -o "$OUT/$m-bkg.parquet" >/dev/null
  "$BIN" --quiet combine --mode "$m" --model "$OUT/$m-bkg.combination.json" \
      --scores "$OUT/svdd-sig.parquet" --scores "$OUT/flow-sig.parquet" -o "$OUT/$m-sig.parquet" >/dev/null
  "$BIN" --quiet eval --background "$OUT/$m-bkg.parquet" --signal "$OUT/$m-sig.parquet" -o "$OUT/eval-$m" >/dev/null
done
for e in svdd flow and or avg prod; do
  echo "== $e"
  cat "$OUT/eval-$e/evaluation.md"
done | tee "$OUT/summary.md"
echo "== written $OUT"
