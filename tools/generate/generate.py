#!/usr/bin/env python3
"""Oddity's event generator: Pythia 8 + FastJet + a simple fast detector model, written in
the DarkMachines CSV format (energies, pT and MET in MeV, `%g` numbers) after the
DarkMachines channel-3 cuts (HT >= 600 GeV, MET >= 100 GeV; physics-spec.md section 3.2).

One process (a CSV + a provenance JSON):

    generate.py --process ttbar --events 3000 --seed 1002 --out work/ttbar.csv.gz --max-seconds 300

(`--events` is the number of *accepted* events to stop at; `--max-seconds` a wall-clock box;
`--max-generated` a cap on generated events.)  The whole default sample (all processes in
sequence in this one process, then the merge into ../../data/):

    generate.py --all [--budget-scale X] [--seed 20261122]
    generate.py --merge            # merge existing work/ files only

Weights are in pb per event: w_i = sigmaGen * wPythia_i / sum_{all generated} wPythia, so the
sum of the weights of the accepted events is the accepted cross section (sigmaGen is Pythia's
estimate after the run; wPythia is Pythia's event weight, non-trivial when the pTHat bias
`PhaseSpace:bias2Selection` is on).

Detector model (every number here is documented in data/README.md):
  * input: final-state particles within |eta| < 4.9 (ETA_MAX); neutrinos, the neutralino and
    anything Pythia flags invisible are dropped and only enter MET (by being absent).
  * electrons: pT > 10 GeV, |eta| < 2.5; muons: pT > 10 GeV, |eta| < 2.7; photons: pT >
    10 GeV, |eta| < 2.37.  All must be isolated: scalar sum of the pT of the other visible
    particles (pT > 0.5 GeV) within dR < 0.3 below 0.15 x pT.  100 % efficiency.
  * jets: anti-kt R = 0.4 (FastJet) on every remaining visible particle; kept with pT > 20 GeV,
    |eta| < 4.9 (after smearing).
  * b-tagging (|eta| < 2.5): a jet within dR < 0.4 of a B hadron (pT > 5 GeV) is tagged with
    77 % probability; else within dR < 0.4 of a C hadron 15 %; else 1 % (light mistag).
  * smearing (Gaussian on the four-momentum scale, E in GeV): jets sigma/E = 100%/sqrt(E) (+)
    5 %; electrons and photons 10%/sqrt(E) (+) 1 %; muons sigma/pT = 2 %.
  * MET = |-(sum of the pT vectors of all visible particles within |eta| < 4.9)|, with each
    reconstructed object's (smeared - true) pT vector added: i.e. the smeared objects plus the
    unclustered visible particles (unsmeared) balance the missing momentum.
  * channel 3 (applied on the values as written, rounded to 6 digits): HT = sum pT of all
    written j and b >= 600 GeV and MET >= 100 GeV.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
WORK = os.path.join(HERE, "work")
DATA = os.path.join(ROOT, "data")

# ---------------------------------------------------------------- detector constants
ETA_MAX = 4.9
E_PT, E_ETA = 10.0, 2.5
M_PT, M_ETA = 10.0, 2.7
G_PT, G_ETA = 10.0, 2.37
ISO_DR, ISO_FRAC, ISO_TRK_PT = 0.3, 0.15, 0.5
JET_R, JET_PT, JET_ETA = 0.4, 20.0, 4.9
BTAG_ETA, BTAG_DR, BHAD_PT = 2.5, 0.4, 5.0
EFF_B, EFF_C, EFF_L = 0.77, 0.15, 0.01
JET_STOCH, JET_CONST = 1.00, 0.05
EG_STOCH, EG_CONST = 0.10, 0.01
MU_PT_RES = 0.02
HT_MIN, MET_MIN = 600.0, 100.0
INVISIBLE = {12, 14, 16, 18, 1000012, 1000014, 1000016, 1000022, 1000039}

COMMON = [
    "Beams:eCM = 13000.",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Init:showChangedParticleData = off",
    "Random:setSeed = on",
    # No multiparton interactions (no underlying event): 2.8x faster on this machine, and at
    # channel-3 scales (jets > 20 GeV, HT >= 600, MET >= 100 GeV) the UE adds only ~1-2 GeV
    # per R = 0.4 jet.  Documented as a limitation in data/README.md.
    "PartonLevel:MPI = off",
]


def bias(pmin, ref, power):
    return [
        f"PhaseSpace:pTHatMin = {pmin}",
        "PhaseSpace:bias2Selection = on",
        f"PhaseSpace:bias2SelectionPow = {power}",
        f"PhaseSpace:bias2SelectionRef = {ref}",
    ]


# name -> (role, label for samples.json, description, settings)
PROCESSES = {
    "njets": ("background", "QCD multijet", "HardQCD:all, pTHat > 250 GeV, pTHat^2 bias",
              ["HardQCD:all = on"] + bias(250., 250., 2.)),
    "ttbar": ("background", "ttbar", "Top:gg2ttbar + qqbar2ttbar, all decays, pTHat > 100 GeV, pTHat^1 bias",
              ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"] + bias(100., 100., 1.)),
    "w_jets": ("background", "W+jets", "WeakBosonAndParton:qqbar2Wg + qg2Wq, W -> l nu (e, mu, tau) only, pTHat > 250 GeV, pTHat^1 bias",
               ["WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on",
                "24:onMode = off", "24:onIfAny = 11 13 15"] + bias(250., 250., 1.)),
    "z_jets": ("background", "Z+jets", "WeakBosonAndParton:qqbar2gmZg + qg2gmZq, pure Z (gmZmode 2), Z -> nu nu and l l (e, mu, tau), pTHat > 250 GeV, pTHat^1 bias",
               ["WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on",
                "WeakZ0:gmZmode = 2", "23:onMode = off", "23:onIfAny = 11 12 13 14 15 16"]
               + bias(250., 250., 1.)),
    "gam_jets": ("background", "gamma+jets", "PromptPhoton:all, pTHat > 250 GeV, pTHat^2 bias",
                 ["PromptPhoton:all = on"] + bias(250., 250., 2.)),
    "single_top": ("background", "single top", "Top:qq2tq(t:W) + ffbar2tqbar(s:W) (labelled single_top/single_topbar; Pythia has no tW process), pTHat > 100 GeV, pTHat^1 bias",
                   ["Top:qq2tq(t:W) = on", "Top:ffbar2tqbar(s:W) = on"] + bias(100., 100., 1.)),
    "diboson": ("background", "diboson", "WeakDoubleBoson:all (labelled ww/zw/zz), all decays, pTHat > 150 GeV, pTHat^1 bias",
                ["WeakDoubleBoson:all = on"] + bias(150., 150., 1.)),
    "gluino_1400_neutralino_800": (
        "signal", "gluino 1400 / neutralino 800",
        "gluino pair (SUSY:gg2gluinogluino + qqbar2gluinogluino), m(gluino) = 1400 GeV, gluino -> q q~ chi_1^0 (q = u,d,s,c), m(chi_1^0) = 800 GeV, other sparticles at 4.5 TeV (hand-written SLHA)",
        ["SUSY:gg2gluinogluino = on", "SUSY:qqbar2gluinogluino = on",
         "SLHA:file = " + os.path.join(HERE, "gluino_1400_neutralino_800.slha")]),
    "zprime_ttbar_2000": (
        "signal", "Z' (2 TeV) -> ttbar",
        "NewGaugeBoson:ffbar2gmZZprime, Zprime:gmZmode = 3 (pure Z'), m(Z') = 2000 GeV, Z' -> t t~ only",
        ["NewGaugeBoson:ffbar2gmZZprime = on", "Zprime:gmZmode = 3", "32:m0 = 2000.",
         "32:mMin = 1000.", "32:onMode = off", "32:onIfAny = 6"]),
    "excited_quark_zvv_2500": (
        "signal", "q* (2.5 TeV) -> q Z(nu nu)",
        "ExcitedFermion:dg2dStar + ug2uStar, m(q*) = Lambda = 2500 GeV, q* -> q Z only, Z -> nu nu only (mono-jet-like)",
        ["ExcitedFermion:dg2dStar = on", "ExcitedFermion:ug2uStar = on",
         "ExcitedFermion:Lambda = 2500.", "4000001:m0 = 2500.", "4000002:m0 = 2500.",
         "4000001:onMode = off", "4000001:onIfAny = 23", "4000002:onMode = off",
         "4000002:onIfAny = 23", "23:onMode = off", "23:onIfAny = 12 14 16"]),
}

# production plan for --all: (process, accepted-event target, wall-clock seconds, seed offset).
# The small backgrounds run first and QCD multijet (the slowest per accepted event) last, so
# that the whole plan fits a ~50 min single-core box; the seed of a process is seed + offset.
PLAN = [
    ("gluino_1400_neutralino_800", 2500, 90, 11),
    ("zprime_ttbar_2000", 2500, 150, 12),
    ("excited_quark_zvv_2500", 2500, 90, 13),
    ("ttbar", 2000, 400, 2),
    ("w_jets", 1500, 120, 3),
    ("z_jets", 1500, 150, 4),
    ("gam_jets", 600, 120, 5),
    ("single_top", 800, 150, 6),
    ("diboson", 800, 150, 7),
    ("njets", 10000, 1550, 1),
]
BACKGROUND_OUT = "background_chan3.csv.gz"

# --tune NAME -> (Tune:pp, seed offset, Pythia settings read first, description).  "monash" is
# Pythia's default (Tune:pp = 14), with which the shipped sample was made: on that path no
# setting is added and the seeds are unchanged (bit-exact with the shipped files).  Any other
# tune generates only the background processes of PLAN, with the seeds (and the merge's shuffle
# seed) shifted by its offset, into work/<tune>/ and data/background_chan3_<tune>.csv.gz.
TUNES = {
    "monash": (14, 0, [], "Pythia 8 default tune Monash 2013 (Tune:pp = 14, NNPDF2.3 QCD+QED LO)"),
    "a14": (21, 1000, ["Tune:pp = 21"],
            "ATLAS A14 central tune with NNPDF2.3 LO (Tune:pp = 21, PDF:pSet = 13, Pythia's internal "
            "NNPDF2.3 QCD+QED LO alpha_s(M_Z) = 0.130; no LHAPDF)"),
}


def background_out(tune):
    return BACKGROUND_OUT if tune == "monash" else BACKGROUND_OUT.replace(".csv.gz", f"_{tune}.csv.gz")


def g6(x):
    """%g with 6 significant digits, no negative zero."""
    s = "%g" % x
    return "0" if s == "-0" else s


def is_b_hadron(a):
    if a <= 100:
        return False
    return (a // 100) % 10 == 5 or (a // 1000) % 10 == 5


def is_c_hadron(a):
    if a <= 100:
        return False
    q1, q2 = (a // 1000) % 10, (a // 100) % 10
    return (q1 == 4 or q2 == 4) and not (q1 == 5 or q2 == 5)


def dphi(a, b):
    d = a - b
    while d > math.pi:
        d -= 2 * math.pi
    while d < -math.pi:
        d += 2 * math.pi
    return d


class Detector:
    def __init__(self, rng):
        import fastjet
        self.fj = fastjet
        self.jetdef = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)
        self.rng = rng

    def reconstruct(self, event):
        """Returns (objects, met, metphi); objects = [(type, E, pt, eta, phi)] in GeV."""
        vis = []  # (id, px, py, pz, e, pt, eta, phi)
        bh, ch = [], []
        for p in event:
            a = p.idAbs()
            if a > 100:
                # is_b_hadron / is_c_hadron inlined (this loop dominates the run time); the
                # isHadron() call only for the B/C candidates: the same result, fewer calls
                q1, q2 = (a // 1000) % 10, (a // 100) % 10
                isb = q1 == 5 or q2 == 5
                if (isb or q1 == 4 or q2 == 4) and p.isHadron():
                    pt = p.pT()
                    if pt > BHAD_PT:
                        (bh if isb else ch).append((p.eta(), p.phi()))
            if not p.isFinal():
                continue
            if a in INVISIBLE or not p.isVisible():
                continue
            pt = p.pT()
            if pt < 1e-6:
                continue
            eta = p.eta()
            if abs(eta) >= ETA_MAX:
                continue
            vis.append((p.id(), p.px(), p.py(), p.pz(), p.e(), pt, eta, p.phi()))
        n = len(vis)
        if n == 0:
            return [], 0.0, 0.0
        arr = np.array([v[1:] for v in vis])  # px py pz e pt eta phi
        ids = np.array([v[0] for v in vis])
        pts, etas, phis = arr[:, 4], arr[:, 5], arr[:, 6]
        metx, mety = -arr[:, 0].sum(), -arr[:, 1].sum()
        used = np.zeros(n, dtype=bool)
        objs = []
        absid = np.abs(ids)
        cands = np.where(((absid == 11) & (pts > E_PT) & (np.abs(etas) < E_ETA))
                         | ((absid == 13) & (pts > M_PT) & (np.abs(etas) < M_ETA))
                         | ((absid == 22) & (pts > G_PT) & (np.abs(etas) < G_ETA)))[0]
        rng = self.rng
        for i in cands:
            dph = np.abs((phis - phis[i] + np.pi) % (2 * np.pi) - np.pi)
            dr2 = (etas - etas[i]) ** 2 + dph ** 2
            near = (dr2 < ISO_DR ** 2) & (pts > ISO_TRK_PT)
            near[i] = False
            if pts[near].sum() >= ISO_FRAC * pts[i]:
                continue
            used[i] = True
            px, py, pz, e = arr[i, 0:4]
            a = absid[i]
            if a == 13:
                s = max(0.0, 1.0 + rng.normal(0.0, MU_PT_RES))
                typ = "m-" if ids[i] == 13 else "m+"
            else:
                sig = math.hypot(EG_STOCH / math.sqrt(e), EG_CONST)
                s = max(0.0, 1.0 + rng.normal(0.0, sig))
                typ = "g" if a == 22 else ("e-" if ids[i] == 11 else "e+")
            metx -= (s - 1.0) * px
            mety -= (s - 1.0) * py
            if s * pts[i] > 0:
                objs.append((typ, s * e, s * pts[i], etas[i], phis[i]))
        # jets from the remaining visible particles
        rest = np.where(~used)[0]
        PJ = self.fj.PseudoJet
        pj = [PJ(*vis[i][1:5]) for i in rest.tolist()]
        if pj:
            cs = self.fj.ClusterSequence(pj, self.jetdef)
            jets = cs.inclusive_jets(JET_PT * 0.5)
            for j in jets:
                e = j.e()
                if e <= 0:
                    continue
                sig = math.hypot(JET_STOCH / math.sqrt(e), JET_CONST)
                s = max(0.0, 1.0 + rng.normal(0.0, sig))
                pt = j.pt() * s
                if pt <= JET_PT:
                    continue
                eta = j.eta()
                if abs(eta) >= JET_ETA:
                    continue
                phi = j.phi_std()
                metx -= (s - 1.0) * j.px()
                mety -= (s - 1.0) * j.py()
                typ = "j"
                if abs(eta) < BTAG_ETA:
                    r2 = BTAG_DR ** 2
                    if any((eta - h[0]) ** 2 + dphi(phi, h[1]) ** 2 < r2 for h in bh):
                        eff = EFF_B
                    elif any((eta - h[0]) ** 2 + dphi(phi, h[1]) ** 2 < r2 for h in ch):
                        eff = EFF_C
                    else:
                        eff = EFF_L
                    if rng.random() < eff:
                        typ = "b"
                objs.append((typ, e * s, pt, eta, phi))
            del cs
        objs.sort(key=lambda o: -o[2])
        return objs, math.hypot(metx, mety), math.atan2(mety, metx)


def format_and_select(eid, pid, weight_pb, objs, met, metphi):
    """Formats one event in MeV; applies channel 3 on the rounded values. None if rejected."""
    met_s = g6(met * 1000.0)
    if float(met_s) / 1000.0 < MET_MIN:
        return None
    ht = 0.0
    toks = []
    for typ, e, pt, eta, phi in objs:
        pt_s = g6(pt * 1000.0)
        e_s = g6(max(e, pt) * 1000.0)
        if typ in ("j", "b"):
            ht += float(pt_s) / 1000.0
        toks.append(f"{typ},{e_s},{pt_s},{g6(eta)},{g6(phi)}")
    if ht < HT_MIN:
        return None
    return [eid, pid, weight_pb, met_s, g6(metphi), toks]


def process_label(name, pythia):
    """DarkMachines process ID for the event (split for single top and diboson)."""
    if name == "single_top":
        code = pythia.infoPython().code()
        top = any(p.id() == 6 for p in pythia.process)
        return "single_top" if top else "single_topbar"
    if name == "diboson":
        code = pythia.infoPython().code()
        return {231: "zz", 232: "zw", 233: "ww"}.get(code, "diboson")
    return name


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def versions():
    from importlib.metadata import version
    return {
        "python": platform.python_version(),
        "pythia8mc": version("pythia8mc"),
        "fastjet": version("fastjet"),
        "numpy": version("numpy"),
    }


def write_gz(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write("".join(lines).encode())
    os.replace(tmp, path)


def run_process(name, n_accept, seed, out, max_seconds, max_generated=None, log=sys.stderr,
                tune="monash"):
    import pythia8mc
    role, label, desc, settings = PROCESSES[name]
    tune_pp, _, tune_settings, tune_desc = TUNES[tune]
    if tune != "monash":
        desc = f"{desc}; {tune_desc}"
    # the tune first: Tune:pp resets every tune parameter when it is read
    all_settings = tune_settings + COMMON + [f"Random:seed = {seed}"] + settings
    pythia = pythia8mc.Pythia("", False)
    for s in all_settings:
        if not pythia.readString(s):
            raise SystemExit(f"Pythia rejected setting {s!r}")
    if not pythia.init():
        raise SystemExit(f"Pythia init failed for {name}")
    info = pythia.infoPython()
    rng = np.random.default_rng(seed)
    det = Detector(rng)
    t0 = time.time()
    n_gen = n_fail = 0
    wsum = 0.0
    acc = []  # (eventnumber, label, wPythia, met_s, metphi_s, toks)
    while True:
        if len(acc) >= n_accept or (max_generated and n_gen >= max_generated):
            break
        if time.time() - t0 > max_seconds:
            break
        if not pythia.next():
            n_fail += 1
            if n_fail > 100:
                raise SystemExit(f"too many Pythia failures in {name}")
            continue
        n_gen += 1
        w = info.weight()
        wsum += w
        if n_gen % 2000 == 0:
            print(f"  {name}: {n_gen} generated, {len(acc)} accepted, {time.time() - t0:.0f} s",
                  file=log, flush=True)
        objs, met, metphi = det.reconstruct(pythia.event)
        if met < MET_MIN * 0.99:
            continue
        ev = format_and_select(n_gen, process_label(name, pythia), w, objs, met, metphi)
        if ev is not None:
            acc.append(ev)
    wall = time.time() - t0
    info = pythia.infoPython()  # a fresh handle: the one from before the run reports sigmaGen = 0
    sigma_pb = info.sigmaGen() * 1e9
    sigma_err_pb = info.sigmaErr() * 1e9
    lines = []
    ws = []
    for eid, pid, w, met_s, phi_s, toks in acc:
        wpb = sigma_pb * w / wsum
        ws.append(wpb)
        lines.append(";".join([str(eid), pid, g6(wpb), met_s, phi_s] + toks) + ";\n")
    write_gz(out, lines)
    ws = np.array(ws) if ws else np.zeros(0)
    sw, sw2 = float(ws.sum()), float((ws ** 2).sum())
    prov = {
        "process": name,
        "role": role,
        "label": label,
        "description": desc,
        "tune": tune,
        "tune_pp": tune_pp,
        "seed": seed,
        "pythia_settings": all_settings,
        "generated": n_gen,
        "accepted": len(acc),
        "accepted_target": n_accept,
        "max_seconds": max_seconds,
        "wall_seconds": round(wall, 1),
        "sigma_gen_pb": sigma_pb,
        "sigma_err_pb": sigma_err_pb,
        "sum_pythia_weights_generated": wsum,
        "accepted_xsec_pb": sw,
        "acceptance": sw / sigma_pb if sigma_pb > 0 else 0.0,
        "sum_weights": sw,
        "sum_weights_sq": sw2,
        "ess": sw * sw / sw2 if sw2 > 0 else 0.0,
        "weight_min_pb": float(ws.min()) if len(ws) else None,
        "weight_max_pb": float(ws.max()) if len(ws) else None,
        "process_ids": sorted(set(a[1] for a in acc)),
        "file": os.path.basename(out),
        "sha256": sha256(out),
        "versions": versions(),
        "generated_at_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": " ".join(sys.argv),
    }
    with open(out.replace(".csv.gz", ".provenance.json"), "w") as f:
        json.dump(prov, f, indent=2)
        f.write("\n")
    print(f"{name}: {n_gen} generated, {len(acc)} accepted in {wall:.0f} s; sigma {sigma_pb:.4g} pb, "
          f"accepted {sw:.4g} pb, ESS {prov['ess']:.0f}", file=log, flush=True)
    return prov


def read_lines(path):
    with gzip.open(path, "rt") as f:
        return [l for l in f if l.strip()]


def replay_counts(data_dir, tune="monash"):
    """{process: generated events} from the provenance JSONs of an existing data/ directory
    (for a tune other than monash: only its background file's provenance)."""
    counts = {}
    bg = os.path.join(data_dir, background_out(tune).replace(".csv.gz", ".provenance.json"))
    if os.path.exists(bg):
        for p in json.load(open(bg))["processes"]:
            counts[p["process"]] = p["generated"]
    if tune != "monash":
        return counts
    for name, _, _, _ in PLAN:
        pj = os.path.join(data_dir, f"{name}_chan3.provenance.json")
        if os.path.exists(pj):
            counts[name] = json.load(open(pj))["generated"]
    return counts


def write_samples(DATA, samples, tune):
    """Writes samples.json: the entries of this merge, plus those of the other tunes' background
    files already in samples.json (a merge of one tune never drops or alters the other's)."""
    path = os.path.join(DATA, "samples.json")
    old = json.load(open(path)) if os.path.exists(path) else []
    if tune == "monash":
        keep = [s for s in old if s.get("role") == "background-tune"]
        out = samples[:1] + keep + samples[1:] if samples and samples[0]["role"] == "background" \
            else keep + samples
    else:
        mine = {s["file"] for s in samples}
        out = [s for s in old if s["file"] not in mine]
        for s in out:
            if s.get("role") == "background" and "tune" not in s:
                s["tune"] = "monash"
        at = next((i + 1 for i, s in enumerate(out) if s.get("role") == "background"), 0)
        out[at:at] = samples
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


def merge(seed, WORK=WORK, DATA=DATA, tune="monash"):
    os.makedirs(DATA, exist_ok=True)
    _, tune_off, _, tune_desc = TUNES[tune]
    bg_file = background_out(tune)
    shuffle_seed = seed + tune_off
    samples = []
    bg_lines, bg_prov = [], []
    for name, _, _, _ in PLAN:
        src = os.path.join(WORK, f"{name}.csv.gz")
        pj = src.replace(".csv.gz", ".provenance.json")
        if not (os.path.exists(src) and os.path.exists(pj)):
            print(f"merge: {name} missing, skipped", file=sys.stderr)
            continue
        prov = json.load(open(pj))
        lines = read_lines(src)
        if prov["role"] == "background":
            assert prov.get("tune", "monash") == tune, (src, prov.get("tune"), tune)
            bg_lines += lines
            bg_prov.append(prov)
            continue
        if tune != "monash":
            continue
        out = os.path.join(DATA, f"{name}_chan3.csv.gz")
        write_gz(out, lines)
        p = dict(prov)
        p["file"] = os.path.basename(out)
        p["sha256"] = sha256(out)
        p["work_file"] = os.path.relpath(src, ROOT)
        with open(out.replace(".csv.gz", ".provenance.json"), "w") as f:
            json.dump(p, f, indent=2)
            f.write("\n")
        samples.append({"file": p["file"], "role": "signal", "label": prov["label"],
                        "description": prov["description"],
                        "accepted_xsec_pb": prov["accepted_xsec_pb"], "events": prov["accepted"],
                        "ess": prov["ess"]})
    if bg_lines:
        random.Random(shuffle_seed).shuffle(bg_lines)
        out_lines, ws = [], []
        for i, l in enumerate(bg_lines, 1):
            parts = l.split(";", 1)
            out_lines.append(f"{i};{parts[1]}")
            ws.append(float(l.split(";")[2]))
        out = os.path.join(DATA, bg_file)
        write_gz(out, out_lines)
        ws = np.array(ws)
        sw, sw2 = float(ws.sum()), float((ws ** 2).sum())
        role = "background" if tune == "monash" else "background-tune"
        desc = ("channel-3 Standard-Model background mix; lines of all processes shuffled "
                f"(random.Random({shuffle_seed})) and renumbered 1..N")
        if tune != "monash":
            desc += f"; {tune_desc}; process seeds = seed + {tune_off} + PLAN offset"
        prov = {
            "file": bg_file,
            "role": role,
            "description": desc,
            "tune": tune,
            "seed": seed,
            "events": len(out_lines),
            "accepted_xsec_pb": sw,
            "sum_weights": sw,
            "sum_weights_sq": sw2,
            "ess": sw * sw / sw2,
            "shuffle_seed": shuffle_seed,
            "sha256": sha256(out),
            "versions": versions(),
            "merged_at_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command_line": " ".join(sys.argv),
            "processes": bg_prov,
        }
        with open(out.replace(".csv.gz", ".provenance.json"), "w") as f:
            json.dump(prov, f, indent=2)
            f.write("\n")
        bdesc = ("Pythia 8 QCD multijet, ttbar, W+jets, Z+jets (incl. Z->nu nu), "
                 "gamma+jets, single top, diboson; weights in pb per event")
        if tune == "monash":
            label = "SM background (channel 3)"
        else:
            label = "SM background (channel 3), Pythia A14 tune" if tune == "a14" else \
                f"SM background (channel 3), Pythia {tune} tune"
            bdesc += f"; {tune_desc}"
        samples.insert(0, {"file": bg_file, "role": role, "label": label, "description": bdesc,
                           "accepted_xsec_pb": sw, "events": len(out_lines), "ess": sw * sw / sw2,
                           "tune": tune})
    write_samples(DATA, samples, tune)
    for s in samples:
        print(f"{s['file']}: {s['events']} events, {s['accepted_xsec_pb']:.4g} pb, ESS {s['ess']:.0f}",
              file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--process", choices=sorted(PROCESSES))
    ap.add_argument("--events", type=int, help="accepted events to stop at")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out")
    ap.add_argument("--max-seconds", type=float, default=1e9)
    ap.add_argument("--max-generated", type=int)
    ap.add_argument("--all", action="store_true", help="generate every process of PLAN, then merge")
    ap.add_argument("--merge", action="store_true", help="only merge work/ into data/")
    ap.add_argument("--budget-scale", type=float, default=1.0, help="scale every PLAN time box")
    ap.add_argument("--only", help="comma-separated subset of PLAN for --all")
    ap.add_argument("--force", action="store_true", help="regenerate work files that exist")
    ap.add_argument("--replay", metavar="DATA_DIR",
                    help="for --all: no time boxes; generate exactly the number of events recorded in "
                         "DATA_DIR's provenance JSONs (bit-exact reproduction of a time-boxed run)")
    ap.add_argument("--tune", choices=sorted(TUNES), default="monash",
                    help="Pythia tune: monash (Pythia's default Tune:pp = 14, the shipped sample) or "
                         "a14 (ATLAS A14 central, NNPDF2.3 LO, Tune:pp = 21); with --all a non-default "
                         "tune runs only PLAN's background processes, seeds shifted by "
                         + ", ".join(f"{k} +{v[1]}" for k, v in TUNES.items()))
    ap.add_argument("--work-dir", help=f"intermediate files (default {WORK}, {WORK}/<tune> for "
                                       "a tune other than monash)")
    ap.add_argument("--data-dir", default=DATA, help=f"merged output (default {DATA})")
    a = ap.parse_args()
    if a.work_dir is None:
        a.work_dir = WORK if a.tune == "monash" else os.path.join(WORK, a.tune)
    tune_off = TUNES[a.tune][1]
    if a.all or a.merge:
        if a.all:
            os.makedirs(a.work_dir, exist_ok=True)
            only = set(a.only.split(",")) if a.only else None
            counts = replay_counts(a.replay, a.tune) if a.replay else None
            for name, n, secs, off in PLAN:
                if only and name not in only:
                    continue
                if a.tune != "monash" and PROCESSES[name][0] != "background":
                    continue
                out = os.path.join(a.work_dir, f"{name}.csv.gz")
                if os.path.exists(out) and not a.force:
                    print(f"{name}: {out} exists, kept", file=sys.stderr)
                    continue
                max_gen = None
                if counts is not None:
                    if name not in counts:
                        print(f"{name}: not in {a.replay}, skipped", file=sys.stderr)
                        continue
                    n, secs, max_gen = 10 ** 12, 1e12 / a.budget_scale, counts[name]
                try:
                    run_process(name, n, a.seed + tune_off + off, out, secs * a.budget_scale, max_gen,
                                tune=a.tune)
                except (Exception, SystemExit) as e:  # keep going: one broken process must not stop the rest
                    print(f"{name}: FAILED: {e}", file=sys.stderr, flush=True)
        merge(a.seed, a.work_dir, a.data_dir, a.tune)
        return
    if not (a.process and a.events and a.out):
        ap.error("--process, --events and --out are required (or --all / --merge)")
    run_process(a.process, a.events, a.seed, a.out, a.max_seconds, a.max_generated, tune=a.tune)


if __name__ == "__main__":
    main()
