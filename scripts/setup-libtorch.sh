#!/usr/bin/env bash
# Creates (once) the project-local Python environment that provides libtorch 2.11.0 for
# tch 0.24 (design decision D1): .libtorch/venv with torch==2.11.0 from PyPI. Reused when
# present. Links .libtorch/torch to the installed torch package, where .cargo/config.toml
# points the build (LIBTORCH).
#
#   scripts/setup-libtorch.sh          # install if missing
#   ODDITY_TORCH_VENV=/path scripts/setup-libtorch.sh   # use another location
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ODDITY_TORCH_VENV:-$root/.libtorch/venv}"
want="2.11.0"
py="$venv/bin/python"
have=""
if [ -x "$py" ]; then
    have="$("$py" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)"
fi
if [ "$have" != "$want" ]; then
    echo "setup-libtorch: installing torch==$want into $venv (about 4.7 GiB with its CUDA libraries; once)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "torch==$want" "numpy" "safetensors"
fi
torch_dir="$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
# The stable path .cargo/config.toml gives tch's build as LIBTORCH.
mkdir -p "$root/.libtorch"
ln -sfn "$torch_dir" "$root/.libtorch/torch"
echo "setup-libtorch: torch $want ready in $venv" >&2
