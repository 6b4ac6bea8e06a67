#!/usr/bin/env bash
# Regenerates the embedded default sample in data/ (one process, one core, ~45 min).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
rm -rf work
nice -n 10 .venv/bin/python generate.py --all --seed 20261122 "$@" 2>&1 | grep -v -E '^ *$|PYTHIA (Warning|Error)|^ \*|^ -|^ \|' | tee generate.log
