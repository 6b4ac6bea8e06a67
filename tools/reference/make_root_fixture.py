#!/usr/bin/env python3
"""Writes the small ROOT fixture of `crates/oddity-io/tests/root.rs` with uproot, plus the
values every numeric branch must read as (JSON, f64 as Python `repr` strings).

    python3 -m venv tools/reference/.venv
    tools/reference/.venv/bin/pip install -r tools/reference/requirements-root.txt
    tools/reference/.venv/bin/python tools/reference/make_root_fixture.py crates/oddity-io/tests/data

The file `mixed_types.root` holds
- TTree `mixed`, written twice: cycle 1 is a stale 2-entry version (every value 9), cycle 2 the
  real one with 5 entries and one flat branch per numeric leaf type (double, float, int8..int64,
  uint8..uint64, bool) at the edges of each type's range, plus two branches that are not one
  number per entry: `jagged` (variable-length float array) and `fixed3` (float[3]);
- TTree `other` with one double branch `x` (so trees are listed nearest-first);
- TH1D `hist` and RNTuple `ntuple` (keys that are not TTrees).
"""

import json
import pathlib
import sys

import awkward as ak
import numpy as np
import uproot

N = 5


def flat_branches():
    """One array per numeric leaf type; the JSON stores each value converted to f64."""
    return {
        "f64": np.array([0.0, -1.5, 1e300, -2.5e-300, 6.02214076e23], dtype=np.float64),
        "f32": np.array([0.1, -3.25, 3.4028235e38, 1e-45, 7.0], dtype=np.float32),
        "i8": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
        "i16": np.array([-32768, -2, 0, 2, 32767], dtype=np.int16),
        "i32": np.array([-(2**31), -3, 0, 3, 2**31 - 1], dtype=np.int32),
        "i64": np.array([-(2**53), -4, 0, 4, 2**53], dtype=np.int64),
        "u8": np.array([0, 1, 2, 254, 255], dtype=np.uint8),
        "u16": np.array([0, 1, 2, 65534, 65535], dtype=np.uint16),
        "u32": np.array([0, 1, 2, 2**32 - 2, 2**32 - 1], dtype=np.uint32),
        "u64": np.array([0, 1, 2, 2**53 - 1, 2**53], dtype=np.uint64),
        "flag": np.array([True, False, True, True, False], dtype=np.bool_),
    }


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    flat = flat_branches()
    with uproot.recreate(out / "mixed_types.root") as f:
        # mktree writes TTrees; since uproot 5.7 `f[name] = dict` would write an RNTuple.
        f.mktree("mixed", {name: np.full(2, 9, dtype=a.dtype) for name, a in flat.items()})
        f.mktree(
            "mixed",
            {
                **flat,
                "jagged": ak.Array([[1.0, 2.0], [], [3.0], [4.0, 5.0, 6.0], []]),
                "fixed3": np.arange(3 * N, dtype=np.float32).reshape(N, 3),
            },
        )
        f.mktree("other", {"x": np.array([1.0, 2.0, 3.0])})
        f["hist"] = np.histogram(np.array([0.5, 1.5, 1.7]), bins=2, range=(0.0, 2.0))
        f["ntuple"] = {"x": np.array([1.0, 2.0])}  # an RNTuple: not a TTree

    check = uproot.open(out / "mixed_types.root")
    expected = {
        "uproot": uproot.__version__,
        "keys": check.keys(),
        "classes": check.classnames(),
        "entries": int(check["mixed"].num_entries),
        "types": {name: check["mixed"][name].typename for name in check["mixed"].keys()},
        "values": {
            name: [repr(float(v)) for v in check["mixed"][name].array(library="np")]
            for name in flat
        },
    }
    with open(out / "mixed_types.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/oddity-io/tests/data")
