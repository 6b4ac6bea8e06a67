#!/usr/bin/env python3
"""Golden weighted ROC curves and AUCs from scikit-learn for `crates/oddity-eval/tests/sklearn.rs`.

    python3 -m venv tools/reference/.venv
    tools/reference/.venv/bin/pip install -r tools/reference/requirements-eval.txt
    tools/reference/.venv/bin/python tools/reference/roc_reference.py \
        crates/oddity-eval/tests/data/roc_reference.json

For each case: `roc_auc_score(y, s, sample_weight=w)` and
`roc_curve(y, s, sample_weight=w, drop_intermediate=False)` (every distinct threshold, no
collinear points dropped), plus an independent O(n_S * n_B) weighted Mann-Whitney AUC
(ties count 1/2, physics-spec section 8.1) as a cross-check of scikit-learn itself.

Numbers are stored as strings (Python `repr`, shortest round-trip) so that both sides parse
them with correctly rounded parsers: input scores and weights are then bit-identical in Rust.
No zero weights are used (scikit-learn drops zero-weight samples before building the curve,
Oddity keeps them as repeated points; both give the same polyline and AUC).
"""

import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve

SEED = 20261122


def mann_whitney(y, s, w):
    s, w, y = np.asarray(s), np.asarray(w), np.asarray(y).astype(bool)
    ss, ws = s[y], w[y]
    sb, wb = s[~y], w[~y]
    gt = (ss[:, None] > sb[None, :]).astype(float)
    eq = (ss[:, None] == sb[None, :]).astype(float)
    num = (ws[:, None] * wb[None, :] * (gt + 0.5 * eq)).sum()
    return float(num / (ws.sum() * wb.sum()))


def cases():
    rng = np.random.default_rng(SEED)
    out = []

    # Heavy ties: 600 events on 6 score values, signal shifted up, weighted.
    n = 600
    y = rng.random(n) < 0.3
    s = rng.integers(0, 6, n) + y * rng.integers(0, 3, n)
    w = rng.uniform(0.5, 2.0, n)
    out.append(("heavy_ties", y, s.astype(float), w))

    # Heavy ties, unit weights (sample_weight=None on the sklearn side).
    y = rng.random(n) < 0.5
    s = np.round(rng.normal(y * 0.7, 1.0), 1)
    out.append(("heavy_ties_unweighted", y, s, None))

    # Weights spanning 7 orders of magnitude (1e-4 .. 1e3), continuous scores.
    n = 400
    y = rng.random(n) < 0.4
    s = rng.normal(y * 1.0, 1.0)
    w = 10.0 ** rng.uniform(-4.0, 3.0, n)
    out.append(("weights_7_orders", y, s, w))

    # Tiny samples.
    out.append(("tiny_1s_2b", np.array([True, False, False]), np.array([0.5, 0.3, 0.7]), None))
    out.append(("tiny_1s_2b_tied", np.array([True, False, False]), np.array([0.5, 0.5, 0.1]),
                np.array([2.0, 1.0, 3.0])))

    # Discrete scores in {0, 0.25, ..., 1}, weighted, with negative and zero score values.
    n = 250
    y = rng.random(n) < 0.5
    s = np.clip(rng.integers(-1, 5, n) + y, -1, 4) * 0.25
    w = rng.choice([0.1, 1.0, 3.0], n)
    out.append(("discrete_scores", y, s, w))

    # All scores tied: the diagonal.
    y = np.array([True, False, True, False, False])
    out.append(("all_tied", y, np.ones(5), np.array([1.0, 2.0, 3.0, 4.0, 5.0])))

    # Larger random case: 2000 events, scores rounded to 3 decimals (some ties), log-normal weights.
    n = 2000
    y = rng.random(n) < 0.25
    s = np.round(rng.normal(y * 0.8, 1.0), 3)
    w = rng.lognormal(0.0, 1.0, n)
    out.append(("large_random", y, s, w))
    return out


def main(path):
    result = {
        "generator": "tools/reference/roc_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "cases": [],
    }
    for name, y, s, w in cases():
        y = np.asarray(y).astype(int)
        s = np.asarray(s, dtype=float)
        fpr, tpr, thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        auc = roc_auc_score(y, s, sample_weight=w)
        mw = mann_whitney(y, s, np.ones(len(s)) if w is None else w)
        assert abs(auc - mw) <= 1e-12 * max(abs(mw), 1e-300), (name, auc, mw)
        result["cases"].append({
            "name": name,
            "signal": [bool(v) for v in y],
            "scores": [repr(float(v)) for v in s],
            "weights": None if w is None else [repr(float(v)) for v in w],
            "auc": repr(float(auc)),
            "auc_mann_whitney": repr(mw),
            "fpr": [repr(float(v)) for v in fpr],
            "tpr": [repr(float(v)) for v in tpr],
            "thresholds": [repr(float(v)) for v in thr],
        })
        print(f"{name}: n={len(s)} points={len(fpr)} auc={auc!r}")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/oddity-eval/tests/data/roc_reference.json")
