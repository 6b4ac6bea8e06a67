#!/usr/bin/env python3
"""Vectorised NumPy implementation of Oddity's event representations (physics-spec §5): the
fair peer for `repr_throughput`, and an independent check of `oddity features`.

What a physicist would write: parse the DarkMachines CSV once into padded [N, M] arrays
(codes, E, pT, η, φ in GeV/rad; MET), then encode with whole-batch NumPy operations, chunk
by chunk (no per-event Python loop in the encoding):

- fixed      per-type slots {j:5, b:5, e-:1, e+:1, m-:1, m+:1, g:0}: x [N, 72]
- fixed18    any-type slots, K = 18: x [N, 92]
- particles  P = 20: x [N, P, 12], mask [N, P], p4 [N, P, 4], aux [N, 2]
- part4sm    particles + ragged pair features of the real pairs i <= j only:
             pairs [n_pairs, 5] (ln kT, ln z, ln Δ, ln m², SM running), pairs_offsets [N + 1]
             (event e's rows are pairs[offsets[e]:offsets[e + 1]], k(k + 1)/2 for k real
             tokens, in the order i = 0..k-1, j = i..k-1), pair_ij [n_pairs, 2] (i, j)
- rmm        ATLAS RMM, 5 types × 7, D = 36, nine mass cells removed, 1287 columns, stored
             sparse: x [n_cells] f32 (event e's cells are x[offsets[e]:offsets[e + 1]]),
             x_offsets [N + 1], cells [n_cells] int64 (each value's column); only the cells
             not 0 by construction (rmm-dense: the dense x [N, 1287], the straightforward way)

Encoding is timed separately from parsing; results in events/s of the encoding.

    python bench/python/repr_numpy.py FILE [--repeat N] [--runs 3] [--reprs fixed,rmm] [--json OUT]
    python bench/python/repr_numpy.py FILE --check OUT.npz --repr fixed|fixed18|particles|part4sm|rmm

`--check` encodes FILE (repeat 1) and compares every array of an `oddity features` npz of the
same file (representation arrays and the common label/weight/event_id/... arrays): f32 arrays
with |a − b| <= max(1e-5·|b|, 1e-5), integer and string arrays (pairs_offsets and pair_ij
included) exactly; the RMM's stored cells as dense matrices (x) and which cells are stored
(stored_cells), since an event's cells may come in another order. Prints the maximum
deviations and exits 1 on any mismatch. Requires numpy only.

Timing modes: output allocated by every call (`np.zeros`; the ragged arrays (pair rows, RMM
cells) `np.empty`, sized from the per-event row counts computed in the call), and with
`--reuse` output preallocated once and refilled by every run (dense arrays `fill(0)`; the
row counts and offsets are computed in every run and the rows written into slices of the
preallocated ragged buffers). `part4sm-dense` keeps the weaver-style dense pairs [N, 5, P, P].
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

CODES = {"j": 1, "b": 2, "e-": 3, "e+": 4, "m-": 5, "m+": 6, "g": 7, "mu-": 5, "mu+": 6}
PHI_TOLERANCE = math.pi + 1e-6
LN_FLOOR = 1e-3
EPS = 1e-8
SQRT_S = 13000.0
TWO_PI = 2.0 * math.pi

# ------------------------------------------------------------------------------ parsing


def wrap(x):
    """wrap(x) = x − 2π⌊(x + π)/2π⌋ in [−π, π) (physics-spec §1), elementwise."""
    w = x - TWO_PI * np.floor((x + math.pi) / TWO_PI)
    return np.where(w >= math.pi, w - TWO_PI, w)


def parse(path, min_width=20):
    """Parses a DarkMachines CSV into padded arrays (GeV, rad). Objects keep file order;
    padding (code 0) follows the real objects. Width is at least `min_width`."""
    heads, objs, counts = [], [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            fields = line.split(";")
            if fields[-1] == "":
                fields.pop()
            heads.append(fields[:5])
            o = fields[5:]
            counts.append(len(o))
            objs.extend(o)
    n = len(heads)
    counts = np.asarray(counts, dtype=np.int64)
    m = max(int(counts.max()) if n else 0, min_width)
    # Objects: one flat pass, then scattered into the padded layout.
    typ = [o.split(",", 1) for o in objs]
    code_flat = np.array([CODES[t[0].strip()] for t in typ], dtype=np.int8)
    vals = np.array([t[1].split(",") for t in typ], dtype=np.float64).reshape(-1, 4)
    ev = np.repeat(np.arange(n), counts)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(objs)) - np.repeat(start, counts)
    out = {
        "code": np.zeros((n, m), np.int8),
        "e": np.zeros((n, m)),
        "pt": np.zeros((n, m)),
        "eta": np.zeros((n, m)),
        "phi": np.zeros((n, m)),
    }
    out["code"][ev, slot] = code_flat
    out["e"][ev, slot] = vals[:, 0] / 1000.0
    out["pt"][ev, slot] = vals[:, 1] / 1000.0
    out["eta"][ev, slot] = vals[:, 2]
    phi = vals[:, 3]
    out["phi"][ev, slot] = np.where(np.abs(phi) <= PHI_TOLERANCE, phi, wrap(phi))
    met_phi = np.array([float(h[4]) for h in heads])
    out["met"] = np.array([float(h[3]) for h in heads]) / 1000.0
    out["met_phi"] = np.where(np.abs(met_phi) <= PHI_TOLERANCE, met_phi, wrap(met_phi))
    out["event_id"] = np.array([int(h[0]) for h in heads], dtype=np.int64)
    out["weight"] = np.array([float(h[2]) for h in heads])
    names = list(dict.fromkeys(h[1].strip() for h in heads))
    index = {p: i for i, p in enumerate(names)}
    out["process"] = np.array([index[h[1].strip()] for h in heads], dtype=np.int64)
    out["process_names"] = names
    out["n"] = n
    return out


def tile(ev, repeat):
    """The table concatenated `repeat` times (as repr_throughput does)."""
    if repeat == 1:
        return ev
    out = dict(ev)
    for k, v in ev.items():
        if isinstance(v, np.ndarray):
            out[k] = np.concatenate([v] * repeat, axis=0)
    out["n"] = ev["n"] * repeat
    return out


def chunk(ev, lo, hi):
    """Events lo..hi, objects cut to the widest event of the chunk (at least 1 column)."""
    code = ev["code"][lo:hi]
    width = max(int((code > 0).sum(axis=1).max()) if hi > lo else 0, 1)
    c = {k: ev[k][lo:hi, :width] for k in ("code", "e", "pt", "eta", "phi")}
    c["met"], c["met_phi"] = ev["met"][lo:hi], ev["met_phi"][lo:hi]
    return c


# ------------------------------------------------------------------------------ encoding


def ln_gev(x):
    return np.log(np.maximum(x, LN_FLOOR))


def pt_sorted(c):
    """Objects sorted by pT descending, ties in file order; padding last (stable sort)."""
    key = np.where(c["code"] > 0, -c["pt"], np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    return {k: np.take_along_axis(c[k], order, axis=1) for k in ("code", "e", "pt", "eta", "phi")}


def four_vectors(s):
    px = s["pt"] * np.cos(s["phi"])
    py = s["pt"] * np.sin(s["phi"])
    pz = s["pt"] * np.sinh(s["eta"])
    return px, py, pz, s["e"]


def fixed_per_type(c, out, counts=(5, 5, 1, 1, 1, 1, 0)):
    """x [n, 5K + 2]: types, (ln MET, φ_MET), K × (ln E, ln pT, η, φ); K = sum(counts)."""
    k = sum(counts)
    s = pt_sorted(c)
    code = s["code"]
    slot = np.full(code.shape, -1, dtype=np.int64)
    offset = 0
    for kind, cnt in enumerate(counts, start=1):
        is_kind = code == kind
        rank = np.cumsum(is_kind, axis=1) - 1
        slot = np.where(is_kind & (rank < cnt), offset + rank, slot)
        offset += cnt
    x = out["x"]
    x[:, k] = ln_gev(c["met"])
    x[:, k + 1] = c["met_phi"]
    ev, obj = np.nonzero(slot >= 0)
    sl = slot[ev, obj]
    x[ev, sl] = code[ev, obj]
    base = k + 2 + 4 * sl
    x[ev, base] = ln_gev(s["e"][ev, obj])
    x[ev, base + 1] = ln_gev(s["pt"][ev, obj])
    x[ev, base + 2] = s["eta"][ev, obj]
    x[ev, base + 3] = s["phi"][ev, obj]


def fixed_any_type(c, out, k=18):
    """x [n, 5K + 2] with the K highest-pT objects of any kind, pT-descending."""
    s = pt_sorted(c)
    n, m = s["code"].shape
    kk = min(k, m)
    code = s["code"][:, :kk]
    valid = code > 0
    x = out["x"]
    x[:, :kk] = code
    x[:, k] = ln_gev(c["met"])
    x[:, k + 1] = c["met_phi"]
    feats = np.stack(
        [ln_gev(s["e"][:, :kk]), ln_gev(s["pt"][:, :kk]), s["eta"][:, :kk], s["phi"][:, :kk]], axis=-1
    )
    feats *= valid[..., None]
    x[:, k + 2 : k + 2 + 4 * kk] = feats.reshape(n, 4 * kk)


def alpha_s(q):
    return 0.118 / (1.0 + (23.0 / 3.0) * 0.118 / (2.0 * math.pi) * np.log(q / 91.1876))


def alpha_em(q):
    a0 = 1.0 / 127.951
    return a0 / (1.0 - 2.0 * a0 / (3.0 * math.pi) * (20.0 / 3.0) * np.log(q / 91.1876))


# SM vertex class by code pair (0 none, 1 QCD, 2 j-γ, 3 b-γ, 4 OSSF leptons, 5 lepton-γ).
VERTEX = np.zeros((9, 9), dtype=np.int8)
for a_, b_, v_ in [(1, 1, 1), (1, 2, 1), (2, 2, 1), (1, 7, 2), (2, 7, 3), (3, 4, 4), (5, 6, 4)] + [
    (lep, 7, 5) for lep in (3, 4, 5, 6)
]:
    VERTEX[a_, b_] = VERTEX[b_, a_] = v_
G_Z = 0.7433
# Factor of g_e by vertex class: j-γ 1/2, b-γ 1/3, lepton-γ 1; 0 where g_e does not enter.
GE_FACTOR = np.array([0.0, 0.0, 0.5, 1.0 / 3.0, 0.0, 1.0])


def particles(c, out, p=20, pairs=False):
    """x [n, P, 12], mask [n, P], p4 [n, P, 4], aux [n, 2]; with `pairs` also the ragged
    pairs [n_pairs, 5] = (ln kT, ln z, ln Δ, ln m², SM running) and pair_ij [n_pairs, 2] of
    the chunk's real pairs (out["pairs"], out["pair_ij"]: exactly the chunk's rows); with
    `pairs="dense"` the dense pairs [n, 5, P, P] instead."""
    s = pt_sorted(c)
    kk = min(p, s["code"].shape[1])
    s = {k: v[:, :kk] for k, v in s.items()}
    code = s["code"]
    valid = code > 0
    px, py, pz, e = four_vectors(s)
    px, py, pz, e = px * valid, py * valid, pz * valid, e * valid
    pt = np.hypot(px, py)
    phi = np.arctan2(py, px)
    x = out["x"]
    x[:, :kk, 0] = np.where(valid, ln_gev(e), 0.0)
    x[:, :kk, 1] = np.where(valid, ln_gev(pt), 0.0)
    x[:, :kk, 2] = np.where(valid, s["eta"], 0.0)
    x[:, :kk, 3] = phi
    x[:, :kk, 4:12] = code[..., None] == np.arange(8)
    x[:, kk:, 4] = 1.0
    out["mask"][:, :kk] = valid
    out["p4"][:, :kk] = np.stack([px, py, pz, e], axis=-1)
    out["aux"][:, 0] = ln_gev(c["met"])
    out["aux"][:, 1] = c["met_phi"]
    if pairs == "dense":
        # Weaver style: every (i, j) of the full padded [P, P] grid.
        pad = ((0, 0), (0, p - kk))
        args = [np.pad(a, pad) for a in (code, valid, px, py, pz, e, pt, phi)]
        pair_channels_dense(*args, out["pairs"])
    elif pairs:
        pair_channels(code, valid, px, py, pz, e, pt, phi, out["pairs"], out["pair_ij"])


def pair_channels_dense(code, valid, px, py, pz, e, pt, phi, pr):
    """As pair_channels, computed on the dense [n, K, K] grid and masked (weaver style)."""
    kk = code.shape[1]
    pv = valid[:, :, None] & valid[:, None, :]
    y = 0.5 * np.log(1.0 + 2.0 * pz / np.maximum(e - pz, 1e-20))
    dy = y[:, :, None] - y[:, None, :]
    dphi = wrap(phi[:, :, None] - phi[:, None, :])
    delta = np.sqrt(dy * dy + dphi * dphi)
    pta, ptb = pt[:, :, None], pt[:, None, :]
    ptmin = np.minimum(pta, ptb)
    ptsum = pta + ptb
    se = e[:, :, None] + e[:, None, :]
    sx = px[:, :, None] + px[:, None, :]
    sy = py[:, :, None] + py[:, None, :]
    sz = pz[:, :, None] + pz[:, None, :]
    m2 = np.maximum(se * se - (sx * sx + sy * sy + sz * sz), EPS)
    pr[:, 0] = np.where(pv, np.log(np.maximum(ptmin * delta, EPS)), 0.0)
    pr[:, 1] = np.where(pv, np.log(np.maximum(ptmin / np.maximum(ptsum, EPS), EPS)), 0.0)
    pr[:, 2] = np.where(pv, np.log(np.maximum(delta, EPS)), 0.0)
    pr[:, 3] = np.where(pv, np.log(m2), 0.0)
    vt = VERTEX[code[:, :, None], code[:, None, :]]
    vt[:, np.arange(kk), np.arange(kk)] = 0
    q = np.maximum(0.5 * ptsum, 1.0)
    gs = np.sqrt(4.0 * math.pi * alpha_s(q))
    ge = np.sqrt(4.0 * math.pi * alpha_em(q))
    pr[:, 4] = np.where(vt == 1, gs, np.where(vt == 4, G_Z, ge * GE_FACTOR[vt]))


def pair_channels(code, valid, px, py, pz, e, pt, phi, pr, ij):
    """pr [n_pairs, 5] = (ln kT, ln z, ln Δ, ln m², SM running) and ij [n_pairs, 2] = (i, j)
    of the real pairs i <= j (diagonal included) of the K first tokens, computed on the list
    of real pairs only: event by event, then i = 0..K-1, j = i..K-1 (np.nonzero over the
    event-major [n, triu] mask gives that order). i, j are token columns; the real tokens are
    the first k columns of an event (pT-sorted, padding last)."""
    kk = code.shape[1]
    iu, ju = np.triu_indices(kk)
    pv = valid[:, iu] & valid[:, ju]
    ev, k = np.nonzero(pv)
    if len(ev) != len(pr):
        raise ValueError(f"{len(ev)} real pairs in the chunk, {len(pr)} rows counted from mask.sum()")
    i, j = iu[k], ju[k]
    ij[:, 0] = i
    ij[:, 1] = j
    # Weaver rapidity ½ ln(1 + 2p_z / max(E − p_z, 1e-20)).
    y = 0.5 * np.log(1.0 + 2.0 * pz / np.maximum(e - pz, 1e-20))
    dy = y[ev, i] - y[ev, j]
    dphi = wrap(phi[ev, i] - phi[ev, j])
    delta = np.sqrt(dy * dy + dphi * dphi)
    pta, ptb = pt[ev, i], pt[ev, j]
    ptmin = np.minimum(pta, ptb)
    ptsum = pta + ptb
    se = e[ev, i] + e[ev, j]
    sx = px[ev, i] + px[ev, j]
    sy = py[ev, i] + py[ev, j]
    sz = pz[ev, i] + pz[ev, j]
    m2 = np.maximum(se * se - (sx * sx + sy * sy + sz * sz), EPS)
    feats = (
        np.log(np.maximum(ptmin * delta, EPS)),
        np.log(np.maximum(ptmin / np.maximum(ptsum, EPS), EPS)),
        np.log(np.maximum(delta, EPS)),
        np.log(m2),
    )
    for c, v in enumerate(feats):
        pr[:, c] = v
    # SM running couplings at Q = max((pT_a + pT_b)/2, 1 GeV); diagonal and padding 0.
    vt = VERTEX[code[ev, i], code[ev, j]]
    vt[i == j] = 0
    q = np.maximum(0.5 * ptsum, 1.0)
    gs = np.sqrt(4.0 * math.pi * alpha_s(q))
    ge = np.sqrt(4.0 * math.pi * alpha_em(q))
    sm = np.where(vt == 1, gs, np.where(vt == 4, G_Z, ge * GE_FACTOR[vt]))
    pr[:, 4] = sm


RMM_N = 7
RMM_D = 5 * RMM_N + 1
# Code -> RMM block (j 0, b 1, μ 2, e 3, γ 4); padding -1.
RMM_BLOCK = np.array([-1, 0, 1, 3, 3, 2, 2, 4], dtype=np.int64)


def rmm_excluded():
    n = RMM_N
    j1, j2, b1, b2 = 1, 2, 1 + n, 2 + n
    mu1, e1, g1 = 1 + 2 * n, 1 + 3 * n, 1 + 4 * n
    return [(j1, j2), (j1, b1), (b1, b2), (j1, e1), (j1, mu1), (j1, g1), (b1, e1), (b1, mu1), (b1, g1)]


RMM_EXCLUDED = rmm_excluded()


def rmm_kept_cells():
    excl = set(RMM_EXCLUDED)
    pos = np.full(RMM_D * RMM_D, -1, dtype=np.int64)
    k = 0
    for r in range(RMM_D):
        for col in range(RMM_D):
            if (r, col) not in excl:
                pos[r * RMM_D + col] = k
                k += 1
    return pos, k


RMM_POS, RMM_WIDTH = rmm_kept_cells()


def rmm_cells(c):
    """The ATLAS RMM (physics-spec §5.5) of a chunk as (event, column, value) of its stored
    cells (those not 0 by construction and not excluded), computed on the kept objects only
    (compact [n, K, K] pair arrays in matrix-index order), grouped by cell kind."""
    s = pt_sorted(c)
    n = s["code"].shape[0]
    blk = RMM_BLOCK[s["code"]]
    rank = np.zeros(blk.shape, dtype=np.int64)
    for t in range(5):
        is_t = blk == t
        rank = np.where(is_t, np.cumsum(is_t, axis=1) - 1, rank)
    keep = (blk >= 0) & (rank < RMM_N)
    index = np.where(keep, 1 + blk * RMM_N + rank, RMM_D * RMM_D)  # sentinel sorts last
    # Kept objects in matrix-index order (block by block, rank by rank).
    order = np.argsort(index, axis=1, kind="stable")
    kk = max(int(keep.sum(axis=1).max()), 1)
    order = order[:, :kk]
    idx = np.take_along_axis(index, order, axis=1)
    present = idx < RMM_D * RMM_D
    idx = np.where(present, idx, 0)
    g = {k: np.take_along_axis(s[k], order, axis=1) for k in ("e", "pt", "eta", "phi")}
    px, py, pz, e = four_vectors(g)
    pt = np.hypot(px, py)
    pabs = np.sqrt(px * px + py * py + pz * pz)
    et = np.where(pabs > 0, e * pt / pabs, 0.0)
    y = np.where(e <= np.abs(pz), g["eta"], 0.5 * np.log((e + pz) / (e - pz)))
    met = c["met"]
    metx, mety = met * np.cos(c["met_phi"]), met * np.sin(c["met_phi"])
    parts = []

    def put(ev, cells, vals):
        # Values of matrix cells (row·D + col), kept output columns only.
        pos = RMM_POS[cells]
        kept = pos >= 0
        parts.append((ev[kept], pos[kept], vals[kept]))

    put(np.arange(n), np.zeros(n, np.int64), met / SQRT_S)
    ev = np.nonzero(present)[0]
    r = idx[present]
    # Row 0: transverse mass with MET; column 0: cosh(y) − 1.
    mt2 = (et + met[:, None]) ** 2 - (px + metx[:, None]) ** 2 - (py + mety[:, None]) ** 2
    mt = np.sqrt(np.maximum(mt2, 0.0)) / SQRT_S
    with_met = present & (met[:, None] > 0)
    put(np.nonzero(with_met)[0], idx[with_met], mt[with_met])
    put(ev, r * RMM_D, (np.cosh(y) - 1.0)[present])
    # Diagonal: E_T/√s for rank 0, else the E_T imbalance with the previous rank (the
    # previous kept object in index order).
    prev = np.concatenate([np.zeros((n, 1)), et[:, :-1]], axis=1)
    first = (idx - 1) % RMM_N == 0
    imb = np.where(prev + et > 0, (prev - et) / (prev + et), 0.0)
    diag = np.where(first, et / SQRT_S, imb)
    put(ev, r * RMM_D + r, diag[present])
    # Pairs a < b in index order: upper cell m_ab/√s, lower cell cosh((y_b − y_a)/2) − 1.
    iu, ju = np.triu_indices(kk, 1)
    pp = present[:, iu] & present[:, ju]
    pe = np.nonzero(pp)[0]
    a, b = iu[np.nonzero(pp)[1]], ju[np.nonzero(pp)[1]]
    se = e[pe, a] + e[pe, b]
    sx = px[pe, a] + px[pe, b]
    sy = py[pe, a] + py[pe, b]
    sz = pz[pe, a] + pz[pe, b]
    mass = np.sqrt(np.maximum(se * se - (sx * sx + sy * sy + sz * sz), 0.0)) / SQRT_S
    dyh = np.cosh(0.5 * (y[pe, b] - y[pe, a])) - 1.0
    ra, rb = idx[pe, a], idx[pe, b]
    put(pe, ra * RMM_D + rb, mass)
    put(pe, rb * RMM_D + ra, dyh)
    return tuple(np.concatenate(a) for a in zip(*parts))


def rmm(c, out):
    """The stored cells, event by event: x [rows] f32 values, cells [rows] int64 columns
    (in the row-major 1287-column matrix); the rows of an event in the order of rmm_cells."""
    ev, pos, val = rmm_cells(c)
    if len(ev) != len(out["x"]):
        raise ValueError(f"{len(ev)} stored RMM cells in the chunk, {len(out['x'])} rows counted")
    order = np.argsort(ev, kind="stable")
    out["x"][:] = val[order]
    out["cells"][:] = pos[order]


def rmm_offsets(ev, lo, hi):
    """x_offsets [hi − lo + 1] of events lo..hi: the stored cells of an event with K kept
    objects (at most 7 per type), 1 + K(2 + [MET > 0]) + K(K − 1), less the excluded cells
    of its present objects."""
    code = ev["code"][lo:hi]
    blk = RMM_BLOCK[code]
    kept = np.stack([np.minimum(np.count_nonzero(blk == t, axis=1), RMM_N) for t in range(5)], axis=1)
    k = kept.sum(axis=1)
    met_pos = ev["met"][lo:hi] > 0

    def present(index):
        return (index - 1) % RMM_N < kept[:, (index - 1) // RMM_N]

    rows = 1 + k * (2 + met_pos) + k * (k - 1)
    for r, col in RMM_EXCLUDED:  # every excluded ATLAS cell is a mass cell of two objects
        rows -= present(r) & present(col)
    off = np.empty(hi - lo + 1, np.int64)
    off[0] = 0
    np.cumsum(rows, out=off[1:])
    return off


def rmm_dense_from_cells(x, offsets, cells):
    """The dense [N, 1287] matrices of stored cells."""
    n = len(offsets) - 1
    dense = np.zeros((n, RMM_WIDTH), np.float32)
    dense[np.repeat(np.arange(n), np.diff(offsets)), cells] = x
    return dense


def rmm_dense(c, out):
    """As rmm, the straightforward way: objects scattered into [n, 35] slots by matrix
    index, every cell of the dense [n, 36, 36] matrix computed and masked, then flattened
    without the excluded cells."""
    s = pt_sorted(c)
    n = s["code"].shape[0]
    blk = RMM_BLOCK[s["code"]]
    rank = np.zeros(blk.shape, dtype=np.int64)
    for t in range(5):
        is_t = blk == t
        rank = np.where(is_t, np.cumsum(is_t, axis=1) - 1, rank)
    keep = (blk >= 0) & (rank < RMM_N)
    ev, obj = np.nonzero(keep)
    slot = (blk * RMM_N + rank)[ev, obj]
    d1 = RMM_D - 1
    g = {}
    for k in ("e", "pt", "eta", "phi"):
        g[k] = np.zeros((n, d1))
        g[k][ev, slot] = s[k][ev, obj]
    present = np.zeros((n, d1), dtype=bool)
    present[ev, slot] = True
    px, py, pz, e = four_vectors(g)
    pt = np.hypot(px, py)
    pabs = np.sqrt(px * px + py * py + pz * pz)
    et = np.where(pabs > 0, e * pt / pabs, 0.0)
    y = np.where(e <= np.abs(pz), g["eta"], 0.5 * np.log((e + pz) / (e - pz)))
    met = c["met"]
    metx, mety = met * np.cos(c["met_phi"]), met * np.sin(c["met_phi"])
    m = np.zeros((n, RMM_D, RMM_D))
    m[:, 0, 0] = met / SQRT_S
    mt2 = (et + met[:, None]) ** 2 - (px + metx[:, None]) ** 2 - (py + mety[:, None]) ** 2
    m[:, 0, 1:] = np.where(present & (met[:, None] > 0), np.sqrt(np.maximum(mt2, 0.0)) / SQRT_S, 0.0)
    m[:, 1:, 0] = np.where(present, np.cosh(y) - 1.0, 0.0)
    prev = np.concatenate([np.zeros((n, 1)), et[:, :-1]], axis=1)
    first = np.arange(d1) % RMM_N == 0
    imb = np.where(prev + et > 0, (prev - et) / (prev + et), 0.0)
    diag = np.where(present, np.where(first, et / SQRT_S, imb), 0.0)
    se = e[:, :, None] + e[:, None, :]
    sx = px[:, :, None] + px[:, None, :]
    sy = py[:, :, None] + py[:, None, :]
    sz = pz[:, :, None] + pz[:, None, :]
    mass = np.sqrt(np.maximum(se * se - (sx * sx + sy * sy + sz * sz), 0.0)) / SQRT_S
    dyh = np.cosh(0.5 * (y[:, :, None] - y[:, None, :])) - 1.0
    upper = np.triu(np.ones((d1, d1), dtype=bool), 1)
    inner = np.where(upper, mass, dyh)
    inner[:, np.arange(d1), np.arange(d1)] = diag
    pp = present[:, :, None] & present[:, None, :]
    m[:, 1:, 1:] = np.where(pp, inner, 0.0)
    out["x"][:] = m.reshape(n, -1)[:, RMM_KEEP]


RMM_KEEP = np.nonzero(RMM_POS >= 0)[0]


REPRS = {
    # name: (encoder, {array: per-event shape}); the ragged arrays of RAGGED are
    # not listed (their row counts depend on the events).
    "fixed": (fixed_per_type, {"x": (72,)}),
    "fixed18": (fixed_any_type, {"x": (92,)}),
    "particles": (lambda c, o: particles(c, o, 20, False), {"x": (20, 12), "mask": (20,), "p4": (20, 4), "aux": (2,)}),
    "part4sm": (
        lambda c, o: particles(c, o, 20, True),
        {"x": (20, 12), "mask": (20,), "p4": (20, 4), "aux": (2,)},
    ),
    "rmm": (rmm, {}),
    # The straightforward dense variants (weaver-style [P, P] pair grid; dense 36 x 36 RMM).
    "part4sm-dense": (
        lambda c, o: particles(c, o, 20, "dense"),
        {"x": (20, 12), "mask": (20,), "p4": (20, 4), "aux": (2,), "pairs": (5, 20, 20)},
    ),
    "rmm-dense": (rmm_dense, {"x": (RMM_WIDTH,)}),
}


# Representations with ragged arrays: name -> (offsets of events lo..hi, {array: (row
# shape, dtype)}, offsets array name, most rows per event). part4sm: pairs [n_pairs, 5] f32,
# pair_ij [n_pairs, 2] i64, pairs_offsets [N + 1]; rmm: x [n_cells] f32, cells [n_cells] i64,
# x_offsets [N + 1].
PAIR_CHANNELS = 5
PAIR_SLOTS = 20
RAGGED = {
    "part4sm": (
        lambda ev, lo, hi: pair_offsets(ev, lo, hi, PAIR_SLOTS),
        {"pairs": ((PAIR_CHANNELS,), np.float32), "pair_ij": ((2,), np.int64)},
        "pairs_offsets",
        PAIR_SLOTS * (PAIR_SLOTS + 1) // 2,
    ),
    "rmm": (
        lambda ev, lo, hi: rmm_offsets(ev, lo, hi),
        {"x": ((), np.float32), "cells": ((), np.int64)},
        "x_offsets",
        RMM_D * RMM_D,
    ),
}


def pair_offsets(ev, lo, hi, p):
    """pairs_offsets [hi − lo + 1] of events lo..hi: k(k + 1)/2 rows for k = min(real objects, P)."""
    k = np.minimum(np.count_nonzero(ev["code"][lo:hi] > 0, axis=1), p)
    off = np.empty(hi - lo + 1, np.int64)
    off[0] = 0
    np.cumsum(k * (k + 1) // 2, out=off[1:])
    return off


def allocate(name, n, rows=0):
    """Output arrays for n events: dense f32 arrays zeroed; ragged arrays with room for
    `rows` rows (uninitialised: every row is written) and their offsets."""
    out = {k: np.zeros((n,) + s, np.float32) for k, s in REPRS[name][1].items()}
    if name in RAGGED:
        _, arrays, off_name, _ = RAGGED[name]
        for k, (shape, dtype) in arrays.items():
            out[k] = np.empty((rows,) + shape, dtype)
        out[off_name] = np.empty(n + 1, np.int64)
    return out


def encode_range(ev, name, lo, hi, chunk_size, out, zero=True, off=None):
    """Encodes events lo..hi chunk by chunk into `out` (dense arrays with room for hi − lo
    events, zeroed here first unless `zero` is False; ragged buffers with room for at least
    the events' rows). The row counts and offsets are computed here (or passed in `off`).
    Returns views of `out` for exactly these events and their rows."""
    fn, shapes = REPRS[name]
    n = hi - lo
    res = {k: out[k][:n] for k in shapes}
    if zero:
        for v in res.values():
            v.fill(0.0)
    ragged = {}
    if name in RAGGED:
        offsets, ragged, off_name, _ = RAGGED[name]
        if off is None:
            off = offsets(ev, lo, hi)
        rows = int(off[-1])
        first = next(iter(ragged))
        if len(out[first]) < rows or len(out[off_name]) < n + 1:
            raise ValueError(f"{name}: ragged buffers hold {len(out[first])} rows, {rows} needed")
        res[off_name] = out[off_name][: n + 1]
        res[off_name][:] = off
        for k in ragged:
            res[k] = out[k][:rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        for a in range(lo, hi, chunk_size):
            b = min(a + chunk_size, hi)
            views = {k: res[k][a - lo : b - lo] for k in shapes}
            if off is not None:
                r0, r1 = off[a - lo], off[b - lo]
                for k in ragged:
                    views[k] = res[k][r0:r1]
            fn(chunk(ev, a, b), views)
    return res


def encode(ev, name, chunk_size, out=None):
    """Encodes every event of `ev` chunk by chunk into freshly allocated arrays (f32, and
    the ragged arrays sized from the row counts), or into `out` (from `allocate`: dense
    arrays zeroed here first; the row counts and offsets computed here and the rows written
    into its ragged buffers)."""
    n = ev["n"]
    if out is not None:
        return encode_range(ev, name, 0, n, chunk_size, out)
    off = None
    rows = 0
    if name in RAGGED:
        off = RAGGED[name][0](ev, 0, n)
        rows = int(off[-1])
    return encode_range(ev, name, 0, n, chunk_size, allocate(name, n, rows), zero=False, off=off)


# ------------------------------------------------------------------------------ check


class _NpzLike(dict):
    """A dict of arrays with the `files` attribute of a loaded npz."""

    @property
    def files(self):
        return list(self.keys())


def check(ev, name, npz_path, chunk_size, src):
    ref = np.load(npz_path, allow_pickle=False)
    mine = encode(ev, name, chunk_size)
    n = ev["n"]
    common = {
        "label": np.zeros(n, np.int64),
        "weight": ev["weight"],
        "event_id": ev["event_id"],
        "source_line": np.arange(1, n + 1, dtype=np.uint64),
        "file_index": np.zeros(n, np.int64),
        "process": ev["process"],
        "process_names": np.array(ev["process_names"]),
        "files": np.array([os.path.basename(src)]),
    }
    ok = True
    if name == "rmm":
        if "x_offsets" not in ref.files:
            print(f"  OLD FORMAT: the npz has no x_offsets (x {ref['x'].shape}): written by an `oddity` from before "
                  "the stored-cell RMM layout (x [n_cells], x_offsets [N + 1], cells [n_cells]); rebuild oddity "
                  "and rewrite the npz")
            return False
        # The rows of an event are the same cells in another order: compare the dense
        # matrices, and which cells each side stores.
        ref = {k: ref[k] for k in ref.files}
        for side in (ref, mine):
            stored = rmm_dense_from_cells(np.ones(len(side["x"]), np.float32), side["x_offsets"], side["cells"])
            side["stored_cells"] = stored.astype(np.int64)
            side["x"] = rmm_dense_from_cells(side["x"], side["x_offsets"], side["cells"])
            del side["cells"]
        ref = _NpzLike(ref)
    names = sorted(set(ref.files) | set(mine) | set(common))
    print(f"check {npz_path} ({name}, {n} events) against the NumPy encoding of {src}")
    if name == "part4sm" and "pairs_offsets" not in ref.files:
        shape = ref["pairs"].shape if "pairs" in ref.files else None
        print(f"  OLD FORMAT: the npz has no pairs_offsets (pairs {shape}): written by an `oddity` from before "
              "the ragged pair layout (pairs [n_pairs, 5], pairs_offsets [N + 1], pair_ij [n_pairs, 2]); "
              "rebuild oddity and rewrite the npz")
        ok = False
    for k in names:
        if k not in ref.files:
            print(f"  {k:14s} MISSING in the npz")
            ok = False
            continue
        b = ref[k]
        a = mine.get(k, common.get(k))
        if a is None:
            print(f"  {k:14s} {str(b.dtype):8s} {str(b.shape):18s} not computed here: MISMATCH (unexpected array)")
            ok = False
            continue
        if k == "files":
            b = np.array([os.path.basename(str(f)) for f in b])
        if a.shape != b.shape:
            print(f"  {k:14s} shape {b.shape} in npz, {a.shape} here: MISMATCH")
            ok = False
            continue
        if b.dtype.kind in "fc" and k != "weight":
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            both_nan = np.isnan(a64) & np.isnan(b64)
            d = np.where(both_nan, 0.0, np.abs(a64 - b64))
            tol = np.maximum(1e-5 * np.abs(b64), 1e-5)
            bad = ~(d <= tol)
            rel = d / np.maximum(np.abs(b64), 1e-30)
            nz = np.abs(b64) > 1e-5
            max_rel = float(rel[nz].max()) if nz.any() else 0.0
            nnan = int(both_nan.sum())
            status = "ok" if not bad.any() else f"MISMATCH ({int(bad.sum())} values)"
            extra = f", {nnan} NaN in both" if nnan else ""
            print(
                f"  {k:14s} {str(b.dtype):8s} {str(b.shape):18s} max|Δ| {float(d.max()) if d.size else 0.0:.3e}"
                f"  max rel (|b|>1e-5) {max_rel:.3e}{extra}  {status}"
            )
            if bad.any():
                i = np.argwhere(bad)[0]
                print(f"      first at {tuple(int(v) for v in i)}: npz {b64[tuple(i)]!r}, numpy {a64[tuple(i)]!r}")
                if k == "pairs" and "pairs_offsets" in mine:
                    e = int(np.searchsorted(mine["pairs_offsets"], i[0], side="right")) - 1
                    print(f"      (event {e}, pair (i, j) = {tuple(int(v) for v in mine['pair_ij'][i[0]])})")
                ok = False
        elif k == "weight":
            d = np.abs(a.astype(np.float64) - b.astype(np.float64))
            good = np.all(d <= 1e-12 * np.abs(b))
            print(f"  {k:14s} {str(b.dtype):8s} {str(b.shape):18s} max|Δ| {float(d.max()):.3e}  {'ok' if good else 'MISMATCH'}")
            ok &= bool(good)
        else:
            good = np.array_equal(a.astype(b.dtype) if b.dtype.kind != "U" else a.astype(str), b)
            print(f"  {k:14s} {str(b.dtype):8s} {str(b.shape):18s} exact  {'ok' if good else 'MISMATCH'}")
            ok &= bool(good)
    print("RESULT:", "all arrays agree" if ok else "MISMATCH")
    return ok


# ------------------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=1, help="concatenate the parsed table N times")
    ap.add_argument("--runs", type=int, default=3, help="timed encodings per representation")
    ap.add_argument("--reprs", default="fixed,fixed18,particles,part4sm,rmm")
    ap.add_argument("--chunk", type=int, default=4096, help="events per vectorised chunk")
    ap.add_argument("--json", help="write the results as JSON here")
    ap.add_argument("--check", metavar="NPZ", help="compare an `oddity features` npz of FILE")
    ap.add_argument("--repr", default=None, help="representation of the --check npz")
    ap.add_argument("--stream", type=int, default=None, metavar="B",
                    help="also time encoding batch after batch of B events into one preallocated B-event output")
    ap.add_argument("--reuse", action="store_true",
                    help="also time encoding into preallocated output arrays (zeroed, then refilled)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    ev = parse(args.file)
    t_parse = time.perf_counter() - t0
    print(f"parsed {ev['n']} events in {t_parse:.3f} s ({args.file})", file=sys.stderr)

    if args.check:
        if args.repr not in REPRS:
            ap.error(f"--check needs --repr, one of {', '.join(REPRS)}")
        sys.exit(0 if check(ev, args.repr, args.check, args.chunk, args.file) else 1)

    ev = tile(ev, args.repeat)
    n = ev["n"]
    results = []
    print(f"numpy {np.__version__}: {n} events ({args.repeat} x file), best and median of {args.runs} runs")
    for name in args.reprs.split(","):
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            out = encode(ev, name, args.chunk)
            times.append(time.perf_counter() - t0)
            del out
        best, median = min(times), float(np.median(times))
        reuse = None
        if args.reuse:
            out = encode(ev, name, args.chunk)  # untimed: allocate and touch once
            t_reuse = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                encode(ev, name, args.chunk, out)
                t_reuse.append(time.perf_counter() - t0)
            del out
            rb, rm = min(t_reuse), float(np.median(t_reuse))
            reuse = {"best_s": rb, "median_s": rm, "times_s": t_reuse, "events_per_s": n / rb}
        stream = None
        if args.stream:
            b = args.stream
            # Ragged buffers with room for the largest batch.
            buf = allocate(name, b, b * RAGGED[name][3] if name in RAGGED else 0)
            t_stream = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                for lo in range(0, n, b):
                    encode_range(ev, name, lo, min(lo + b, n), b, buf)
                t_stream.append(time.perf_counter() - t0)
            del buf
            sb, sm = min(t_stream), float(np.median(t_stream))
            stream = {"batch": b, "best_s": sb, "median_s": sm, "times_s": t_stream, "events_per_s": n / sb}
        results.append(
            {"repr": name, "events": n, "best_s": best, "median_s": median, "times_s": times,
             "events_per_s": n / best, "median_events_per_s": n / median, "reuse": reuse, "stream": stream}
        )
        print(f"  {name:10s} best {best:8.3f} s  median {median:8.3f} s  {n / best:12.0f} events/s", flush=True)
        if reuse:
            print(f"  {'':10s} best {rb:8.3f} s  median {rm:8.3f} s  {n / rb:12.0f} events/s  (preallocated output)",
                  flush=True)
        if stream:
            print(f"  {'':10s} best {sb:8.3f} s  median {sm:8.3f} s  {n / sb:12.0f} events/s  "
                  f"(streamed in batches of {args.stream})", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tool": "numpy", "numpy": np.__version__, "file": args.file, "repeat": args.repeat,
                       "events": n, "parse_s": t_parse, "chunk": args.chunk, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
