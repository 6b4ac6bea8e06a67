#!/usr/bin/env bash
# The autoencoder family on the embedded sample: trains each preset of CONFIGS (default the
# SimpleAE and the two VAE presets) on data/background_chan3.csv.gz, scores the three embedded
# signals and prints AUC and eS at eB = 1e-2 per signal (oddity eval), with the training time
# from the manifest. There is no peer implementation to run beside it; the golden test
# (crates/oddity-detect/tests/autoencoder_golden.rs) checks the losses against PyTorch.
# Raw outputs go to bench/out/ae_<stamp>/.
#
#   bench/ae_embedded.sh
#   CONFIGS="examples/ae-simple.toml" THREADS=2 SETS="train.epochs=50" bench/ae_embedded.sh
#   PROFILE=debug bench/ae_embedded.sh      # the dev build (dependencies at opt-level 2)
#   ODDITY=target/debug/oddity bench/ae_embedded.sh   # an oddity binary already built (e.g. by the tests)
#   CONFIGS="examples/combined-svdd-flow.toml" bench/ae_embedded.sh   # combined runs work too
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CONFIGS="${CONFIGS:-examples/ae-simple.toml examples/vae-static.toml examples/vae-dynamic-beta1-z13-radius.toml}"
THREADS="${THREADS:-2}"
PROFILE="${PROFILE:-release}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/out/ae_$STAMP"
mkdir -p "$OUT"
SIGNALS=(data/gluino_1400_neutralino_800_chan3.csv.gz data/zprime_ttbar_2000_chan3.csv.gz data/excited_quark_zvv_2500_chan3.csv.gz)

if [ -n "${ODDITY:-}" ]; then
  echo "== using $ODDITY (no build)"
else
  echo "== build ($PROFILE)"
  if [ "$PROFILE" = release ]; then cargo build --release -p oddity-cli --bin oddity; else cargo build -p oddity-cli --bin oddity; fi
  ODDITY="$TARGET/$PROFILE/oddity"
fi

export OMP_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
for CONFIG in $CONFIGS; do
  NAME="$(basename "$CONFIG" .toml)"
  echo "== $NAME ($CONFIG, $THREADS threads)"
  ARGS=(--set data.device=cpu)
  for S in ${SETS:-}; do ARGS+=(--set "$S"); done
  "$ODDITY" --quiet train --config "$CONFIG" "${ARGS[@]}" -o "$OUT/$NAME"
  "$ODDITY" --quiet score "$OUT/$NAME" "${SIGNALS[@]}" -o "$OUT/$NAME.signals.parquet"
  "$ODDITY" eval --background "$OUT/$NAME/scores/background_test.parquet" \
      --signal "$OUT/$NAME.signals.parquet" -o "$OUT/$NAME.eval" | tee "$OUT/$NAME.txt"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); f=m['fit']['members'][0]; \
print(f\"training: {m['seconds']:.1f} s, {f['epochs']} epochs (best {f['best_epoch']}), test background effective events {m['test']['effective_events']:.0f}\")" \
      "$OUT/$NAME/manifest.json" | tee -a "$OUT/$NAME.txt"
done
echo "raw outputs: $OUT"
