#!/usr/bin/env bash
# Sets up libtorch (once), builds oddity and runs the demonstration on the embedded sample
# (Pythia 8 channel-3 background and BSM signals, see data/README.md): inspect, select, train
# a DeepSVDD ensemble, score, evaluate. Output goes to ./oddity-demo/ unless a directory is
# given: ./scripts/demo.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (https://rustup.rs)" >&2; exit 2; }

./scripts/setup-libtorch.sh
cargo build --release --locked -p oddity-cli
exec target/release/oddity demo -o "${1:-oddity-demo}"
