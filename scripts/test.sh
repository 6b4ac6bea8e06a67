#!/usr/bin/env bash
# Sets up what the tests need and runs every test of the workspace.
# Usage: ./scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (https://rustup.rs)" >&2; exit 2; }

# The real DarkMachines file and the other reference data live in ../shared/data (see
# ../shared/design/decisions.md D3); tests that use them fail loudly when it is missing.
if [ ! -d ../shared/data ]; then
    echo "warning: ../shared/data not found: reference-data tests will fail" >&2
fi

# libtorch 2.11.0 for the neural crates (once; reused afterwards).
./scripts/setup-libtorch.sh

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
    # nextest does not run doctests.
    cargo test --workspace --doc
else
    cargo test --workspace --no-fail-fast "$@"
fi
