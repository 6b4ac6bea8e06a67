#!/usr/bin/env python3
"""uproot side of bench/root.sh: reads every flat numeric branch of every tree (highest cycle)
of a ROOT file into numpy float64, as Oddity's `read_root_column` does, and reports MB/s
(file bytes / best time, 1 MB = 1e6 bytes) and values/s. Needs tools/reference/requirements-root.txt.

    python bench/python/root_uproot.py FILE.root [--repeat R]
"""

import os
import statistics
import sys
import time

import numpy as np
import uproot

FLAT = {"double", "float", "bool"} | {f"{u}int{b}_t" for u in ("", "u") for b in (8, 16, 32, 64)}


def columns(path):
    with uproot.open(path) as f:
        names = sorted({k.split(";")[0] for k, c in f.classnames().items() if c == "TTree"})
        return [(t, b.name) for t in names for b in f[t].branches if b.typename.replace("std::", "") in FLAT]


def main():
    path = sys.argv[1]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    cols = columns(path)
    times, values = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        values = 0
        for tree, branch in cols:
            with uproot.open(path) as f:
                values += len(f[tree][branch].array(library="np").astype(np.float64, copy=False))
        times.append(time.perf_counter() - t)
    best, median = min(times), statistics.median(times)
    mb = os.path.getsize(path) / 1e6
    print(f"uproot root: {len(cols)} columns, {values} values, {mb:.1f} MB, best {best:.4f} s, "
          f"median {median:.4f} s, {mb / best:.1f} MB/s, {values / best:.3e} values/s (uproot {uproot.__version__})")


if __name__ == "__main__":
    main()
