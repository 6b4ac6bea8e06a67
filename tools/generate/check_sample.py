#!/usr/bin/env python3
"""Checks the sample in data/ and prints the per-process Markdown table of data/README.md.

    python3 tools/generate/check_sample.py [data_dir]

Standard library only. Checks every line of every csv.gz against the DarkMachines grammar
(physics-spec.md section 2) and channel 3 (HT >= 600 GeV, MET >= 100 GeV), the sha256 and
the counts and weight sums recorded in the provenance JSONs; for the background files of the
two Pythia tunes (roles "background" and "background-tune") also the "tune" labels and the
Tune:pp setting, and prints the per-process accepted cross sections of the tunes side by side.
"""

import gzip
import hashlib
import json
import math
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TYPES = {"j", "b", "e-", "e+", "m-", "m+", "g"}
# DarkMachines process IDs written by each generator process
LABELS = {"single_top": {"single_top", "single_topbar"}, "diboson": {"ww", "zw", "zz", "diboson"}}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def read(path):
    """{process_id: [weights]}, n_lines; asserts the format and channel 3 on every line."""
    per, n = {}, 0
    with gzip.open(path, "rt") as f:
        for k, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(";")
            assert parts[-1] == "", f"{path}:{k}: no trailing ;"
            eid, pid, w, met, metphi = parts[:5]
            int(eid)
            assert pid and "," not in pid
            w, met, metphi = float(w), float(met), float(metphi)
            assert math.isfinite(w) and w > 0 and math.isfinite(metphi)
            assert met >= 100000.0, f"{path}:{k}: MET {met}"
            ht = 0.0
            for o in parts[5:-1]:
                t, e, pt, eta, phi = o.split(",")
                e, pt, eta, phi = float(e), float(pt), float(eta), float(phi)
                assert t in TYPES, f"{path}:{k}: type {t}"
                assert pt > 0 and e >= pt * (1 - 1e-3) and abs(eta) < 4.9 and abs(phi) <= math.pi + 1e-5
                if t in ("j", "b"):
                    ht += pt
            assert ht >= 600000.0 - 1e-6, f"{path}:{k}: HT {ht}"
            per.setdefault(pid, []).append(w)
            n += 1
    return per, n


def stats(ws):
    sw = sum(ws)
    sw2 = sum(w * w for w in ws)
    return sw, (sw * sw / sw2 if sw2 > 0 else 0.0)


BACKGROUND_ROLES = ("background", "background-tune")
TUNE_PP = {"monash": None, "a14": "Tune:pp = 21"}  # monash = Pythia's default: no setting


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data")
    samples = json.load(open(os.path.join(data, "samples.json")))
    rows = []
    total = 0
    xsec = {}  # tune -> {process: accepted xsec}
    bgs = [s for s in samples if s["role"] in BACKGROUND_ROLES]
    assert sum(s["role"] == "background" for s in samples) == 1
    assert len({s["tune"] for s in bgs}) == len(bgs), "one background file per tune"
    for s in samples:
        path = os.path.join(data, s["file"])
        prov = json.load(open(path.replace(".csv.gz", ".provenance.json")))
        assert prov["sha256"] == sha256(path), f"{s['file']}: sha256 mismatch"
        per, n = read(path)
        size = os.path.getsize(path)
        total += size
        allw = [w for ws in per.values() for w in ws]
        sw, ess = stats(allw)
        assert n == s["events"], (s["file"], n, s["events"])
        assert abs(sw - s["accepted_xsec_pb"]) <= 1e-4 * sw, (s["file"], sw, s["accepted_xsec_pb"])
        print(f"{s['file']}: {n} events, {size} bytes, sum w {sw:.5g} pb, ESS {ess:.0f}; ids "
              + ", ".join(f"{k} {len(v)}" for k, v in sorted(per.items())), file=sys.stderr)
        bg = s["role"] in BACKGROUND_ROLES
        procs = prov["processes"] if bg else [prov]
        if bg:
            tune = s["tune"]
            assert prov.get("tune", "monash") == tune, (s["file"], prov.get("tune"), tune)
            assert (s["role"] == "background") == (tune == "monash"), s["file"]
            names = sorted(p["process"] for p in procs)
            first = xsec.setdefault("_processes", names)
            assert names == first, f"{s['file']}: processes {names} != {first}"
        for p in procs:
            if bg:
                assert p.get("tune", "monash") == tune, (p["process"], p.get("tune"), tune)
                tset = [x for x in p["pythia_settings"] if x.startswith("Tune:pp")]
                want = TUNE_PP[tune]
                assert tset == ([want] if want else []), (p["process"], tset)
            labels = LABELS.get(p["process"], {p["process"]})
            ws = [w for k, v in per.items() if k in labels for w in v]
            psw, pess = stats(ws)
            assert len(ws) == p["accepted"], (p["process"], len(ws), p["accepted"])
            assert abs(psw - p["accepted_xsec_pb"]) <= 1e-4 * psw + 1e-12, (p["process"], psw)
            if bg:
                xsec.setdefault(tune, {})[p["process"]] = (p["sigma_gen_pb"], psw, pess)
            rows.append((s["role"], p["process"], p["seed"], p["generated"], p["accepted"],
                         p["sigma_gen_pb"], psw, pess, p["wall_seconds"]))
        if bg:
            xsec[tune]["**total**"] = (None, sw, ess)
            rows.append((s["role"], "**total**", "", sum(p["generated"] for p in procs), n,
                         None, sw, ess,
                         sum(p["wall_seconds"] for p in procs)))
    print("| role | process | seed | generated | accepted | sigma_gen (pb) | accepted xsec = sum w (pb) "
          "| ESS (sum w)^2/sum w^2 | wall (s) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        role, name, seed, gen, acc, sig, sw, ess, wall = r
        sig_s = "" if sig is None else f"{sig:.4g}"
        print(f"| {role} | {name} | {seed} | {gen} | {acc} | {sig_s} | {sw:.4g} | {ess:.0f} | {wall:.0f} |")
    xsec.pop("_processes", None)
    if len(xsec) > 1:
        # the tunes side by side; the ratio's error is statistical only: accepted xsec relative
        # error ~ 1/sqrt(ESS), added in quadrature
        tunes = list(xsec)
        print("\n| process | " + " | ".join(f"sigma_gen {t} (pb)" for t in tunes) + " | "
              + " | ".join(f"accepted xsec {t} (pb)" for t in tunes) + " | "
              + " | ".join(f"{t} / {tunes[0]} (stat.)" for t in tunes[1:]) + " |")
        print("|---|" + "---:|" * (3 * len(tunes) - 1))
        for name in xsec[tunes[0]]:
            v = [xsec[t].get(name) for t in tunes]
            sig = " | ".join("" if x[0] is None else f"{x[0]:.4g}" for x in v)
            acc = " | ".join(f"{x[1]:.4g}" for x in v)
            rat = " | ".join(f"{x[1] / v[0][1]:.2f} +- {x[1] / v[0][1] * math.sqrt(1 / x[2] + 1 / v[0][2]):.2f}"
                             for x in v[1:])
            print(f"| {name} | {sig} | {acc} | {rat} |")
    print(f"\ntotal csv.gz bytes: {total}", file=sys.stderr)


if __name__ == "__main__":
    main()
