#!/usr/bin/env bash
# Creates tools/generate/.venv with Pythia 8 (pythia8mc), FastJet and numpy; reuses it when
# the pinned versions are already installed.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python - <<'PY' 2>/dev/null
from importlib.metadata import version
import sys
want = {}
for line in open("requirements.txt"):
    line = line.split("#")[0].strip()
    if line:
        name, v = line.split("==")
        want[name] = v
sys.exit(0 if all(version(n) == v for n, v in want.items()) else 1)
PY
then
    .venv/bin/pip install --quiet -r requirements.txt
fi
.venv/bin/python -c "import pythia8mc, fastjet, numpy" && echo "tools/generate/.venv ready"
