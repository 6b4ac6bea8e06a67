#!/usr/bin/env python3
"""Independent NumPy score combination (physics-spec section 7.8) for `oddity-eval`.

Two uses:

1. Golden numbers for `crates/oddity-eval/tests/combine_golden.rs`:

       python3 -m venv tools/reference/.venv
       tools/reference/.venv/bin/pip install numpy==2.4.6
       tools/reference/.venv/bin/python tools/reference/combine_reference.py golden \
           crates/oddity-eval/tests/data/combine_reference.json

   The calibration is computed by brute force, straight from the formulas (O(N M)):
   eps(s) = (1 + N_eff * sum_{b: s_b >= s} w_b / sum w) / (N_eff + 1), N_eff = (sum w)^2 / sum w^2
   (unweighted: w = 1, N_eff = N, eps = (1 + #{s_b >= s}) / (N + 1)); beyond the largest
   calibration score eps = exp(-(s - s_max) / sigma) / (N_eff + 1), sigma = the (weighted)
   standard deviation with the 1/sum(w) normalisation (np.std, ddof=0); u = 1 - eps;
   AND = min, OR = max, AVG = mean, PROD = product of the members' u. Zero-weight calibration
   events are dropped. The fast `searchsorted` form below (the benchmark peer) is checked
   against the brute force on every golden case. Numbers are stored as strings (Python
   `repr`, shortest round-trip), so inputs are bit-identical on the Rust side.

2. The benchmark peer of `bench/combine.sh` (vectorised NumPy, `np.searchsorted`):

       combine_reference.py bench DIR [--repeat R]

   reads the raw little-endian f64 files that `combine_throughput --write DIR` wrote
   (cal_<i>.f64, events_<i>.f64, rust_<mode>.f64), times calibration and the combination of
   all members for each mode, prints events/s and the largest |NumPy - Oddity| difference,
   and one JSON line prefixed `json: `.
"""

import json
import sys
import time

import numpy as np

SEED = 20261123
MODES = ("and", "or", "avg", "prod")


# ---------------------------------------------------------------------------------------------
# Brute force, straight from the definition (golden numbers).

def brute_calibration(cal, w):
    cal = np.asarray(cal, dtype=float)
    w = np.ones_like(cal) if w is None else np.asarray(w, dtype=float)
    keep = w > 0
    cal, w = cal[keep], w[keep]
    total = w.sum()
    n_eff = total * total / (w * w).sum()
    mean = (w * cal).sum() / total
    sigma = np.sqrt((w * (cal - mean) ** 2).sum() / total)
    return cal, w, total, n_eff, sigma


def brute_efficiency(calibration, x):
    cal, w, total, n_eff, sigma = calibration
    x = np.asarray(x, dtype=float)
    above = (w[None, :] * (cal[None, :] >= x[:, None])).sum(axis=1)
    inside = (1.0 + n_eff * above / total) / (n_eff + 1.0)
    s_max = cal.max()
    with np.errstate(over="ignore"):
        tail = np.exp(-(x - s_max) / sigma) / (n_eff + 1.0)
    return np.where(x > s_max, tail, inside)


def combine(u, mode):
    u = np.asarray(u)
    return {"and": np.min, "or": np.max, "avg": np.mean, "prod": np.prod}[mode](u, axis=0)


# ---------------------------------------------------------------------------------------------
# Fast vectorised form (benchmark peer).

def fast_calibration(cal, w=None):
    cal = np.asarray(cal, dtype=float)
    if w is None:
        s = np.sort(cal)
        w = np.ones_like(s)
        sigma = np.std(s)
    else:
        keep = np.asarray(w) > 0
        order = np.argsort(cal[keep], kind="stable")
        s, w = cal[keep][order], np.asarray(w)[keep][order]
        sigma = np.sqrt(np.average((s - np.average(s, weights=w)) ** 2, weights=w))
    total = w.sum()
    own = (w * w).sum() / total  # weight of the evaluated event; 1 when unweighted
    above = np.append(np.cumsum(w[::-1])[::-1], 0.0)
    return s, above, own, total, sigma


def fast_efficiency(calibration, x):
    s, above, own, total, sigma = calibration
    k = np.searchsorted(s, x, side="left")  # first calibration score >= x
    eps = (own + above[k]) / (own + total)
    tail = k == len(s)
    eps[tail] = own * np.exp(-(x[tail] - s[-1]) / sigma) / (own + total)
    return eps


# ---------------------------------------------------------------------------------------------
# Golden cases.

def member_events(rng, cal, n):
    """Events below, inside (some exactly on calibration values) and beyond the range (to ~12 sigma)."""
    lo, hi, sd = cal.min(), cal.max(), cal.std()
    parts = [
        rng.choice(cal, n // 4),
        rng.uniform(lo - sd, hi, n // 4),
        hi + rng.uniform(0.0, 12.0 * sd, n // 4),
        rng.normal(cal.mean(), 2.0 * sd, n - 3 * (n // 4)),
    ]
    x = np.concatenate(parts)
    x[:3] = [lo, hi, lo - 1.0]
    return x


def cases():
    rng = np.random.default_rng(SEED)
    out = []
    # Two members, heavy ties in the calibration set (scores on a 0.1 grid), unweighted.
    n, m = 300, 200
    cals = [np.round(rng.exponential(1.0, n), 1), np.round(rng.normal(0.0, 2.0, n), 1)]
    out.append(("ties_unweighted", cals, None, [member_events(rng, c, m) for c in cals]))
    # Three members, continuous scores, log-normal weights with a few zeros.
    n, m = 500, 240
    cals = [rng.chisquare(4, n), rng.normal(5.0, 1.0, n), rng.lognormal(0.0, 0.7, n)]
    w = rng.lognormal(0.0, 1.0, n)
    w[rng.choice(n, 10, replace=False)] = 0.0
    out.append(("continuous_weighted", cals, w, [member_events(rng, c, m) for c in cals]))
    # Tiny: N = 3, one member, hand-made events.
    cals = [np.array([1.0, 2.0, 2.0])]
    out.append(("tiny", cals, None, [np.array([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 10.0])]))
    # Weighted tiny with ties of different weight.
    cals = [np.array([0.0, 1.0, 1.0, 4.0]), np.array([3.0, -1.0, 2.0, 2.0])]
    w = np.array([0.5, 2.0, 1.0, 0.25])
    out.append(("tiny_weighted", cals, w, [np.array([-1.0, 0.0, 0.5, 1.0, 4.0, 5.0]),
                                            np.array([2.0, 2.0, 3.5, -3.0, 2.5, 3.0])]))
    return out


def strings(a):
    return [repr(float(v)) for v in a]


def golden(path):
    result = {"generator": "tools/reference/combine_reference.py golden", "numpy": np.__version__,
              "seed": SEED, "cases": []}
    for name, cals, w, events in cases():
        calibrations = [brute_calibration(c, w) for c in cals]
        eps = [brute_efficiency(b, x) for b, x in zip(calibrations, events)]
        fast = [fast_efficiency(fast_calibration(c, w), x) for c, x in zip(cals, events)]
        for e, f in zip(eps, fast):
            assert np.allclose(e, f, rtol=1e-13, atol=1e-15), (name, np.abs(e - f).max())
        u = [1.0 - e for e in eps]
        result["cases"].append({
            "name": name,
            "calibration": [strings(c) for c in cals],
            "weights": None if w is None else strings(w),
            "events": [strings(x) for x in events],
            "n_events": [int(len(b[0])) for b in calibrations],
            "n_effective": [repr(float(b[3])) for b in calibrations],
            "sigma": [repr(float(b[4])) for b in calibrations],
            "efficiency": [strings(e) for e in eps],
            "u": [strings(x) for x in u],
            "combined": {mode: strings(combine(u, mode)) for mode in MODES},
        })
        print(f"{name}: {len(cals)} members, N={len(cals[0])}, {len(events[0])} events")
    runs = np.random.default_rng(SEED + 1).normal(1.0, 0.5, (4, 50))
    result["ensemble"] = {"runs": [strings(r) for r in runs], "mean": strings(np.mean(runs, axis=0))}
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# Benchmark peer.

def bench(directory, repeat):
    read = lambda name: np.fromfile(f"{directory}/{name}.f64", dtype="<f8")  # noqa: E731
    members = 0
    while True:
        try:
            read(f"cal_{members}")
        except FileNotFoundError:
            break
        members += 1
    cals = [read(f"cal_{i}") for i in range(members)]
    events = [read(f"events_{i}") for i in range(members)]
    n = len(events[0])
    report = {"members": members, "events": n, "calibration_events": len(cals[0]), "modes": {}}
    t0 = time.perf_counter()
    calibrations = [fast_calibration(c) for c in cals]
    report["calibrate_s"] = time.perf_counter() - t0
    for mode in MODES:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            u = [1.0 - fast_efficiency(c, x) for c, x in zip(calibrations, events)]
            combined = combine(u, mode)
            times.append(time.perf_counter() - t0)
        rust = read(f"rust_{mode}")
        diff = float(np.abs(combined - rust).max())
        best = min(times)
        report["modes"][mode] = {"best_s": best, "events_per_s": n / best, "max_abs_diff_vs_oddity": diff}
        print(f"numpy {mode}: best {best:.3f} s of {repeat}, {n / best:.3e} events/s, "
              f"max |numpy - oddity| {diff:.3e}")
    print(f"numpy calibrate ({members} members x {len(cals[0])} events): {report['calibrate_s']:.3f} s")
    print("json: " + json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "golden":
        golden(sys.argv[2] if len(sys.argv) > 2 else "crates/oddity-eval/tests/data/combine_reference.json")
    elif len(sys.argv) >= 3 and sys.argv[1] == "bench":
        r = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
        bench(sys.argv[2], r)
    else:
        sys.exit(__doc__)
