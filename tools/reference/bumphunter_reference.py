#!/usr/bin/env python3
"""Golden BumpHunter numbers from pyBumpHunter 0.5.1 for `crates/oddity-stats/tests/bumphunter*.rs`.

This script installs nothing. Run it in a venv with the pinned packages:

    python3 -m venv bench/out/venv-bumphunter          # bench/out/ is git-ignored
    bench/out/venv-bumphunter/bin/pip install -r tools/reference/requirements-bumphunter.txt
    bench/out/venv-bumphunter/bin/python tools/reference/bumphunter_reference.py \
        crates/oddity-stats/tests/data/bumphunter_reference.json

(`bench/bumphunter.sh` creates the same venv if it is missing.) It takes about a minute.

What it writes (one JSON object):

- `gamma`: scipy `gammainc(a, x)` and `gammaincc(a, x)` on a grid of (a, x), to check the
  regularised incomplete gamma function Oddity uses (statrs) against scipy.
- `one_d`: the 60-bin histograms of physics-spec section 9.6 (B, D, S), and for each of
  four scan configurations (excess; deficit; excess with sidebands over the whole range;
  excess with sidebands of width 3) pyBumpHunter's local p-value of **every** window
  (width, position, p) and its best window (loc, width, p, t, signal estimate, Z_loc). The
  first (excess, seed 666, 10 000 pseudo-experiments) also carries pyBumpHunter's global p
  and the signal-injection rows of the example; these depend on numpy's global RNG and are
  compared only statistically.
- `two_d`: the `example/example2D.py` recipe of section 9.6 (numpy legacy RNG, seed 42:
  10^6 background and 10^5 + 700 data points), the two 20 x 20 histograms as integers
  (row-major, x index first, as numpy's histogram2d), and pyBumpHunter's 2D result
  (sidebands on, widths [2, 3] x [2, 3], 8000 pseudo-experiments, seed 666).

Every p-value is stored as a Python float (JSON with 17 significant digits, round-trip).
"""

import contextlib
import io
import json
import sys

import numpy as np
import pyBumpHunter
import scipy
from pyBumpHunter import BumpHunter1D, BumpHunter2D
from scipy.special import gammainc, gammaincc
from scipy.stats import norm

# physics-spec section 9.6: 60 bins on [0, 20].
B = [15394, 13137, 11006, 9232, 7911, 6636, 5661, 4729, 4024, 3412, 2788, 2551, 2108, 1789,
     1474, 1264, 1078, 894, 705, 624, 552, 495, 394, 322, 275, 239, 178, 189, 151, 133, 100,
     66, 69, 65, 47, 38, 43, 35, 32, 25, 19, 19, 23, 13, 10, 8, 5, 7, 5, 5, 3, 4, 1, 1, 2, 1,
     1, 3, 0, 1]
D = [15133, 13122, 11053, 9347, 7862, 6678, 5629, 4645, 4125, 3404, 2916, 2509, 2028, 1818,
     1510, 1268, 1121, 950, 771, 667, 513, 488, 398, 324, 267, 231, 222, 183, 153, 132, 101,
     82, 79, 60, 59, 44, 41, 35, 43, 22, 19, 19, 15, 6, 8, 6, 9, 5, 5, 3, 2, 4, 2, 5, 3, 0, 1,
     1, 1, 0]
S = [0] * 12 + [1, 44, 368, 1206, 1857, 1184, 307, 33] + [0] * 40
EDGES_1D = np.linspace(0.0, 20.0, 61)


def quiet(f, *args, **kwargs):
    """pyBumpHunter prints its progress; keep stdout clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        return f(*args, **kwargs)


def gamma_grid():
    rows = []
    for a in [1.0, 2.0, 5.0, 17.0, 123.0, 1000.0, 4097.0, 27_500.0]:
        for rel in [0.5, 0.9, 0.97, 0.99, 1.0, 1.01, 1.1, 1.5]:
            x = a * rel
            rows.append({"a": a, "x": x, "p": float(gammainc(a, x)), "q": float(gammaincc(a, x))})
    return rows


def windows(res_ar, w_ar, h_lo, h_hi, step):
    out = []
    for w, ps in zip(w_ar, res_ar):
        s = {"full": w, "half": max(1, w // 2)}.get(step, step)
        pos = np.arange(h_lo, h_hi - w + 1, s)
        assert len(pos) == len(ps)
        out += [{"width": int(w), "loc": int(p), "p": float(v)} for p, v in zip(pos, ps)]
    return out


def scan_1d(name, settings, npe, inject=False):
    b, d = np.array(B, dtype=float), np.array(D, dtype=int)
    hunter = BumpHunter1D(rang=[0, 20], bins=60, width_min=2, width_max=6, width_step=1,
                          scan_step=settings.get("scan_step", 1), npe=max(npe, 1), nworker=1,
                          seed=666, mode=settings.get("mode", "excess"),
                          use_sideband=settings.get("use_sideband", False),
                          sideband_width=settings.get("sideband_width"))
    quiet(hunter.bump_scan, d, b, is_hist=True, do_pseudo=npe > 0)
    non0 = np.nonzero(b)[0]
    h_lo, h_hi = int(non0[0]), int(non0[-1] + 1)
    if settings.get("sideband_width") is not None:
        h_lo, h_hi = h_lo + settings["sideband_width"], h_hi - settings["sideband_width"]
    w_ar = np.arange(2, 7)
    loc, width = int(hunter.min_loc_ar[0]), int(hunter.min_width_ar[0])
    p = float(hunter.min_Pval_ar[0])
    out = {
        "name": name,
        "settings": settings,
        "windows": windows(hunter.res_ar, w_ar, h_lo, h_hi, settings.get("scan_step", 1)),
        "best": {
            "loc": loc,
            "width": width,
            "p": p,
            "t": float(hunter.t_ar[0]),
            "z_local": float(norm.ppf(1 - p)),
            "signal": float(hunter.signal_eval),
            "edges": [float(EDGES_1D[loc]), float(EDGES_1D[loc + width])],
        },
    }
    if hunter.norm_scale is not None:
        out["best"]["norm_scale"] = float(hunter.norm_scale)
    if npe > 0:
        out["npe"] = npe
        out["global_p"] = float(hunter.global_Pval)
        out["global_z"] = float(hunter.significance)
    if inject:
        hunter.sigma_limit, hunter.str_min, hunter.str_scale = 5, -1, "log"
        hunter.signal_exp = 150
        quiet(hunter.signal_inject, np.array(S, dtype=float), b, is_hist=True)
        out["injection"] = {
            "settings": {"str_scale": "log", "str_min": -1, "signal_exp": 150,
                         "sigma_limit": 5, "npe_inject": 100},
            "significance": [[float(v) for v in row] for row in hunter.sigma_ar],
            "final_strength": float(hunter.signal_ratio),
            "final_signal": float(abs(hunter.signal_min)),
        }
    return out


def two_d():
    np.random.seed(42)
    bkg = np.random.exponential(scale=[4, 4], size=(1_000_000, 2))
    nsig = 700
    data = np.empty(shape=(100_000 + nsig, 2))
    data[:100_000] = np.random.exponential(scale=[4, 4], size=(100_000, 2))
    data[100_000:] = np.random.multivariate_normal(mean=[6.0, 7.0], cov=[[3, 0.5], [0.5, 3]],
                                                   size=nsig)
    rang = [[0, 25], [0, 25]]
    hb, bx, by = np.histogram2d(bkg[:, 0], bkg[:, 1], bins=[20, 20], range=rang)
    hd = np.histogram2d(data[:, 0], data[:, 1], bins=[bx, by], range=rang)[0]
    hunter = BumpHunter2D(rang=rang, width_min=[2, 2], width_max=[3, 3], width_step=[1, 1],
                          scan_step=[1, 1], bins=[20, 20], npe=8000, nworker=1, seed=666,
                          use_sideband=True)
    quiet(hunter.bump_scan, data, bkg)
    p = float(hunter.min_Pval_ar[0])
    loc, width = hunter.min_loc_ar[0], hunter.min_width_ar[0]
    return {
        "recipe": "numpy legacy RNG seed 42; bkg exponential(scale [4, 4]) x 1e6; data "
                  "exponential x 1e5 + 700 N(mean [6, 7], cov [[3, 0.5], [0.5, 3]]); "
                  "range [0, 25]^2, 20 x 20 bins",
        "nx": 20,
        "ny": 20,
        "edges_x": [float(v) for v in bx],
        "edges_y": [float(v) for v in by],
        "background": [int(v) for v in hb.astype(np.int64).ravel()],
        "data": [int(v) for v in hd.astype(np.int64).ravel()],
        "settings": {"width_min": [2, 2], "width_max": [3, 3], "width_step": [1, 1],
                     "scan_step": [1, 1], "npe": 8000, "seed": 666, "use_sideband": True},
        "best": {
            "loc": [int(loc[0]), int(loc[1])],
            "width": [int(width[0]), int(width[1])],
            "p": p,
            "t": float(hunter.t_ar[0]),
            "z_local": float(norm.ppf(1 - p)),
            "signal": float(hunter.signal_eval),
            "norm_scale": float(hunter.norm_scale),
        },
        "npe": 8000,
        "global_p": float(hunter.global_Pval),
        "global_z": float(hunter.significance),
    }


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "bumphunter_reference.json"
    result = {
        "generator": "tools/reference/bumphunter_reference.py",
        "versions": {"pyBumpHunter": pyBumpHunter.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "gamma": gamma_grid(),
        "one_d": {
            "edges": [float(v) for v in EDGES_1D],
            "background": B,
            "data": D,
            "signal": S,
            "scans": [
                scan_1d("excess", {"mode": "excess"}, 10_000, inject=True),
                scan_1d("deficit", {"mode": "deficit"}, 0),
                scan_1d("sideband", {"mode": "excess", "use_sideband": True}, 0),
                scan_1d("sideband_width_3",
                        {"mode": "excess", "use_sideband": True, "sideband_width": 3}, 0),
                scan_1d("half_step", {"mode": "excess", "scan_step": "half"}, 0),
            ],
        },
        "two_d": two_d(),
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"written {out_path}")


if __name__ == "__main__":
    main()
