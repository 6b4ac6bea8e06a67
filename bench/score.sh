#!/usr/bin/env bash
# Scoring throughput of `oddity score` end to end (read CSV, encode, standardise, forward
# pass, write Parquet), events/s, for the MLP, a small ParT+SM and the full ParT+SM (seed 001
# Table 3): a run is trained for one epoch on the embedded background (the weights do not
# matter for speed), then scores a file of SCORE_MB MB (default 50) of channel-3 events.
# DEVICE=cuda runs the forward passes on a GPU. Raw outputs in bench/out/.
#
#   bench/score.sh
#   MODELS=mlp THREADS=2 SCORE_MB=200 bench/score.sh
#   DEVICE=cuda bench/score.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
MODELS="${MODELS:-mlp,part-sm-small,part-sm}"
THREADS="${THREADS:-2}"
DEVICE="${DEVICE:-cpu}"
SCORE_MB="${SCORE_MB:-50}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/out/score_$STAMP"
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"

if [ -z "${SKIP_BUILD:-}" ]; then
    ./scripts/setup-libtorch.sh
    cargo build --release --locked -p oddity-cli -p oddity-bench --bin oddity --bin make_big
fi
FILE="$OUT/../score_input_${SCORE_MB}MB.csv"
"$REL"/make_big --out "$FILE" --min-bytes "$((SCORE_MB * 1000000))" >/dev/null
EVENTS=$(wc -l < "$FILE")
SMALL=(--set 'model.embed_dims=[16,32,16]' --set 'model.pair_embed_dims=[8,8]' --set model.num_heads=2
       --set model.num_layers=2 --set model.num_cls_layers=1 --set 'model.fc_dims=[16]' --set 'model.aux_dims=[8]')
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), threads $THREADS, device $DEVICE"
    echo "input: $FILE, $EVENTS events, $(stat -c %s "$FILE") bytes"
} | tee "$OUT/summary.txt"
IFS=',' read -ra list <<< "$MODELS"
for m in "${list[@]}"; do
    case "$m" in
        mlp) cfg=(--config examples/deep-svdd-mlp.toml --set 'detector.rep_dims=[8]') ;;
        part-sm-small) cfg=(--config examples/ddd-part-sm.toml "${SMALL[@]}" --set 'detector.std_grid=[0.05]' --set 'detector.p_grid=[0.05]' --set detector.ensemble=1) ;;
        part-sm) cfg=(--config examples/ddd-part-sm.toml --set 'detector.std_grid=[0.05]' --set 'detector.p_grid=[0.05]' --set detector.ensemble=1) ;;
        *) echo "unknown model $m (mlp, part-sm-small, part-sm)" >&2; exit 2 ;;
    esac
    "$REL"/oddity --quiet train "${cfg[@]}" --set train.epochs=1 --set "data.device=\"$DEVICE\"" -o "$OUT/run-$m" >/dev/null
    start=$(date +%s.%N)
    "$REL"/oddity --quiet score "$OUT/run-$m" "$FILE" --device "$DEVICE" -o "$OUT/scores-$m.parquet" >/dev/null
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'{sys.argv[4]:<14} {s:8.2f} s  {n/s:12.0f} events/s')" \
        "$start" "$end" "$EVENTS" "$m" | tee -a "$OUT/summary.txt"
done
echo "raw outputs: $OUT"
