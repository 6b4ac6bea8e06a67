#!/usr/bin/env bash
# `oddity features` against the independent NumPy encoder (bench/python/repr_numpy.py) on the
# real DarkMachines file: every array of every representation must agree. Output in
# bench/out/repr_check.txt; exit 1 on any disagreement.
#
#   bench/repr_check.sh [FILE]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Release binaries: where cargo puts them (it honours CARGO_TARGET_DIR, so the script does too).
REL="${CARGO_TARGET_DIR:-target}/release"
FILE="${1:-$ROOT/../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv}"
PYTHON="${PYTHON:-$ROOT/.libtorch/venv/bin/python}"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
cargo build --release --locked -p oddity-cli --bin oddity
declare -A ARGS=(
    [fixed]="--repr fixed"
    [fixed18]="--repr fixed --any-type 18"
    [particles]="--repr particles"
    [part4sm]="--repr particles --pairs part4 --sm-interactions running"
    [rmm]="--repr rmm"
)
status=0
: > "$OUT/repr_check.txt"
for name in fixed fixed18 particles part4sm rmm; do
    # shellcheck disable=SC2086
    "$REL"/oddity --quiet features ${ARGS[$name]} "$FILE" -o "$OUT/repr_check_$name.npz"
    "$PYTHON" bench/python/repr_numpy.py "$FILE" --check "$OUT/repr_check_$name.npz" --repr "$name" \
        >> "$OUT/repr_check.txt" 2>&1 || status=1
done
grep -E "^check|^RESULT" "$OUT/repr_check.txt"
exit $status
