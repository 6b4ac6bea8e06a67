#!/usr/bin/env python3
"""Independent NumPy computation of Oddity's representations (physics-spec section 5) on the
first events of the real DarkMachines file, written as the golden JSON that
`crates/oddity-repr/tests/reference.rs` compares against.

    python tools/reference/repr_reference.py \
        ../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv \
        crates/oddity-repr/tests/data/repr_reference.json

Written from the specification, not from the Rust code: its own line parser, its own
ordering, four-vectors, pair features, couplings and RMM cells. Requires numpy only.
"""

import json
import math
import sys

import numpy as np

EVENTS = 16
CODES = {"j": 1, "b": 2, "e-": 3, "e+": 4, "m-": 5, "m+": 6, "g": 7}
EPS = 1e-8
SQRT_S = 13000.0


def read_events(path, n):
    events = []
    with open(path) as f:
        for line in f:
            fields = [x for x in line.strip().split(";") if x != ""]
            met, met_phi = float(fields[3]) / 1000.0, float(fields[4])
            objs = []
            for o in fields[5:]:
                t, e, pt, eta, phi = o.split(",")
                objs.append((CODES[t], float(e) / 1000.0, float(pt) / 1000.0, float(eta), float(phi)))
            # pT descending, ties in file order (stable sort).
            objs = sorted(objs, key=lambda x: -x[2])
            events.append({"met": met, "met_phi": met_phi, "objs": objs})
            if len(events) == n:
                break
    return events


def ln(x):
    return math.log(max(x, 1e-3))


def wrap(x):
    return x - 2 * math.pi * math.floor((x + math.pi) / (2 * math.pi))


def p4(o):
    _, e, pt, eta, phi = o
    return np.array([pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), e])


# ------------------------------------------------------------------ 5.1 fixed vector
def fixed_per_type(ev, counts=(5, 5, 1, 1, 1, 1, 0)):
    k = sum(counts)
    types = [0.0] * k
    feats = [[0.0] * 4 for _ in range(k)]
    slot = 0
    for code, c in zip(range(1, 8), counts):
        objs = [o for o in ev["objs"] if o[0] == code][:c]
        for s, o in enumerate(objs):
            types[slot + s] = float(code)
            feats[slot + s] = [ln(o[1]), ln(o[2]), o[3], o[4]]
        slot += c
    return types + [ln(ev["met"]), ev["met_phi"]] + sum(feats, [])


def fixed_any_type(ev, k=18):
    types = [0.0] * k
    feats = [[0.0] * 4 for _ in range(k)]
    for s, o in enumerate(ev["objs"][:k]):
        types[s] = float(o[0])
        feats[s] = [ln(o[1]), ln(o[2]), o[3], o[4]]
    return types + [ln(ev["met"]), ev["met_phi"]] + sum(feats, [])


# ------------------------------------------------------------------ 5.2-5.4 particle set
def alpha_s(q):
    return 0.118 / (1 + (23.0 / 3.0) * 0.118 / (2 * math.pi) * math.log(q / 91.1876))


def alpha_em(q):
    a0 = 1 / 127.951
    return a0 / (1 - 2 * a0 / (3 * math.pi) * (20.0 / 3.0) * math.log(q / 91.1876))


def sm_running(ca, cb, pta, ptb):
    q = max((pta + ptb) / 2, 1.0)
    gs, ge = math.sqrt(4 * math.pi * alpha_s(q)), math.sqrt(4 * math.pi * alpha_em(q))
    s = {ca, cb}
    if s <= {1, 2}:
        return gs
    if s == {1, 7}:
        return ge / 2
    if s == {2, 7}:
        return ge / 3
    if s in ({3, 4}, {5, 6}):
        return 0.7433
    if len(s) == 2 and 7 in s and s - {7} <= {3, 4, 5, 6}:
        return ge
    return 0.0


def particles(ev, p=20):
    """x [P, 12], mask [P], p4 [P, 4], aux [2], pairs [5, P, P] (part4 + SM running)."""
    objs = ev["objs"][:p]
    x = np.zeros((p, 12))
    mask = np.zeros(p)
    v4 = np.zeros((p, 4))
    pairs = np.zeros((5, p, p))
    for i, o in enumerate(objs):
        x[i, :4] = [ln(o[1]), ln(o[2]), o[3], o[4]]
        x[i, 4 + o[0]] = 1
        mask[i] = 1
        v4[i] = p4(o)
    x[len(objs):, 4] = 1
    for i in range(len(objs)):
        for j in range(len(objs)):
            a, b = v4[i], v4[j]
            ya = 0.5 * math.log(1 + 2 * a[2] / max(a[3] - a[2], 1e-20))
            yb = 0.5 * math.log(1 + 2 * b[2] / max(b[3] - b[2], 1e-20))
            dphi = wrap(math.atan2(a[1], a[0]) - math.atan2(b[1], b[0]))
            delta = math.sqrt((ya - yb) ** 2 + dphi**2)
            pta, ptb = math.hypot(a[0], a[1]), math.hypot(b[0], b[1])
            kt = min(pta, ptb) * delta
            z = min(pta, ptb) / max(pta + ptb, EPS)
            s = a + b
            m2 = max(s[3] ** 2 - s[0] ** 2 - s[1] ** 2 - s[2] ** 2, EPS)
            pairs[:4, i, j] = [math.log(max(kt, EPS)), math.log(max(z, EPS)), math.log(max(delta, EPS)), math.log(m2)]
            if i != j:
                pairs[4, i, j] = sm_running(objs[i][0], objs[j][0], pta, ptb)
    return x, mask, v4, np.array([ln(ev["met"]), ev["met_phi"]]), pairs


# ------------------------------------------------------------------ 5.5 RMM
def rmm_atlas(ev, n=7):
    block = {1: 0, 2: 1, 5: 2, 6: 2, 3: 3, 4: 3, 7: 4}
    d = 5 * n + 1
    m = np.zeros((d, d))
    per = [[] for _ in range(5)]
    for o in ev["objs"]:
        t = block[o[0]]
        if len(per[t]) < n:
            per[t].append(o)
    kept = []  # (index, ET, y, p4)
    for t in range(5):
        for k, o in enumerate(per[t]):
            v = p4(o)
            pabs = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
            et = v[3] * o[2] / pabs
            y = o[3] if v[3] <= abs(v[2]) else 0.5 * math.log((v[3] + v[2]) / (v[3] - v[2]))
            kept.append((1 + t * n + k, et, y, v, k))
    met, mphi = ev["met"], ev["met_phi"]
    mx, my = met * math.cos(mphi), met * math.sin(mphi)
    m[0, 0] = met / SQRT_S
    for a, (r, et, y, v, k) in enumerate(kept):
        if met > 0:
            mt2 = (et + met) ** 2 - (v[0] + mx) ** 2 - (v[1] + my) ** 2
            m[0, r] = math.sqrt(max(mt2, 0)) / SQRT_S
        m[r, 0] = math.cosh(y) - 1
        if k == 0:
            m[r, r] = et / SQRT_S
        else:
            prev = kept[a - 1][1]
            m[r, r] = (prev - et) / (prev + et)
        for (rb, _, yb, vb, _) in kept[a + 1:]:
            s = v + vb
            m[r, rb] = math.sqrt(max(s[3] ** 2 - s[0] ** 2 - s[1] ** 2 - s[2] ** 2, 0)) / SQRT_S
            m[rb, r] = math.cosh((yb - y) / 2) - 1
    j1, j2, b1, b2 = 1, 2, 1 + n, 2 + n
    mu1, e1, g1 = 1 + 2 * n, 1 + 3 * n, 1 + 4 * n
    excluded = {(j1, j2), (j1, b1), (b1, b2), (j1, e1), (j1, mu1), (j1, g1), (b1, e1), (b1, mu1), (b1, g1)}
    return [m[r, c] for r in range(d) for c in range(d) if (r, c) not in excluded]


def main():
    src, out = sys.argv[1], sys.argv[2]
    events = read_events(src, EVENTS)
    ref = {"source": src.split("/")[-1], "events": len(events), "fixed_per_type": [], "fixed_any_type": [],
           "particles_x": [], "particles_mask": [], "particles_p4": [], "particles_aux": [],
           "particles_pairs": [], "rmm_atlas": []}
    for ev in events:
        ref["fixed_per_type"].append(fixed_per_type(ev))
        ref["fixed_any_type"].append(fixed_any_type(ev))
        x, mask, v4, aux, pairs = particles(ev)
        ref["particles_x"].append(x.ravel().tolist())
        ref["particles_mask"].append(mask.tolist())
        ref["particles_p4"].append(v4.ravel().tolist())
        ref["particles_aux"].append(aux.tolist())
        ref["particles_pairs"].append(pairs.ravel().tolist())
        ref["rmm_atlas"].append(rmm_atlas(ev))
    # Seven significant digits: the Rust side emits f32.
    text = json.dumps(ref, separators=(",", ":"), default=float)
    rounded = json.loads(text, parse_float=lambda v: float("%.7g" % float(v)))
    with open(out, "w") as f:
        json.dump(rounded, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
