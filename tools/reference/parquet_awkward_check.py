#!/usr/bin/env python3
"""Open an Oddity events Parquet file with awkward-array and print a JSON summary.

Shows that awkward users can read Oddity's files (schema: docs/parquet-schema.md).
The committed output for the test file is crates/oddity-io/tests/data/awkward_sample.json;
the Rust test `awkward_sample_matches_python_output` (crates/oddity-io/tests/parquet.rs)
checks the same numbers with Oddity's reader.

Setup (a throwaway venv, nothing installed in the repository):

    python3 -m venv /tmp/akvenv && /tmp/akvenv/bin/pip install awkward pyarrow

Usage:

    /tmp/akvenv/bin/python tools/reference/parquet_awkward_check.py \
        crates/oddity-io/tests/data/awkward_sample.parquet \
        > crates/oddity-io/tests/data/awkward_sample.json

Output keys: events (count), n_objects (per event), sum_pt (per event, GeV),
first_types (object type codes of the first 5 events), process (per event),
metadata (the file's oddity.* key-value metadata), versions.
"""

import json
import sys

import awkward as ak
import pyarrow
import pyarrow.parquet as pq

FIRST = 5


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FILE.parquet")
    path = sys.argv[1]
    ev = ak.from_parquet(path)

    n_objects = ak.num(ev.objects, axis=1)
    sum_pt = ak.sum(ev.objects.pt, axis=1)
    # `ev.objects.type` is awkward's Array.type property: index the field by name.
    first_types = ev.objects["type"][:FIRST]

    kv = pq.read_metadata(path).metadata or {}
    metadata = {
        k.decode(): v.decode() for k, v in sorted(kv.items()) if k.startswith(b"oddity.")
    }

    out = {
        "events": len(ev),
        "n_objects": [int(x) for x in ak.to_list(n_objects)],
        "sum_pt": [float(x) for x in ak.to_list(sum_pt)],
        "first_types": [[int(c) for c in codes] for codes in ak.to_list(first_types)],
        "process": [str(p) for p in ak.to_list(ev.process)],
        "metadata": metadata,
        "type": str(ev.type),
        "versions": {"awkward": ak.__version__, "pyarrow": pyarrow.__version__},
    }
    # One key per line, values compact: small diffs when regenerated.
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()]
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
