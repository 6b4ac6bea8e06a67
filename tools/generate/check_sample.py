#!/usr/bin/env python3
"""Checks the sample in data/ and prints the per-process Markdown table of data/README.md.

    python3 tools/generate/check_sample.py [data_dir]

Standard library only. Checks every line of every csv.gz against the DarkMachines grammar
(physics-spec.md section 2) and channel 3 (HT >= 600 GeV, MET >= 100 GeV), the sha256 and
the counts and weight sums recorded in the provenance JSONs.
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


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data")
    samples = json.load(open(os.path.join(data, "samples.json")))
    rows = []
    total = 0
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
        procs = prov["processes"] if s["role"] == "background" else [prov]
        for p in procs:
            labels = LABELS.get(p["process"], {p["process"]})
            ws = [w for k, v in per.items() if k in labels for w in v]
            psw, pess = stats(ws)
            assert len(ws) == p["accepted"], (p["process"], len(ws), p["accepted"])
            assert abs(psw - p["accepted_xsec_pb"]) <= 1e-4 * psw + 1e-12, (p["process"], psw)
            rows.append((s["role"], p["process"], p["seed"], p["generated"], p["accepted"],
                         p["sigma_gen_pb"], psw, pess, p["wall_seconds"]))
        if s["role"] == "background":
            rows.append(("background", "**total**", "", sum(p["generated"] for p in procs), n,
                         None, sw, ess,
                         sum(p["wall_seconds"] for p in procs)))
    print("| role | process | seed | generated | accepted | sigma_gen (pb) | accepted xsec = sum w (pb) "
          "| ESS (sum w)^2/sum w^2 | wall (s) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        role, name, seed, gen, acc, sig, sw, ess, wall = r
        sig_s = "" if sig is None else f"{sig:.4g}"
        print(f"| {role} | {name} | {seed} | {gen} | {acc} | {sig_s} | {sw:.4g} | {ess:.0f} | {wall:.0f} |")
    print(f"\ntotal csv.gz bytes: {total}", file=sys.stderr)


if __name__ == "__main__":
    main()
