#!/usr/bin/env python3
"""Line-splitting DarkMachines CSV loader, the kind the community uses (decisions.md D4).

Opens the file, splits each line on ';', parses event ID, process, weight, MET and METphi,
splits each object on ',' into a type and four floats, and appends everything to Python
lists. With --numpy (and numpy installed) the lists are turned into flat numpy arrays at the
end (timed too). The pure-Python part does not need numpy.

Prints a human line and, with --json, one JSON line in the same format as Oddity's
`parse_throughput --json` (tool, file, bytes, events, objects, best_s, mb_per_s, ...).
1 MB = 1e6 bytes of input.

    python3 bench/python/dm_loader.py FILE [--repeat 1] [--json] [--numpy] [--max-bytes N]

--max-bytes N reads only the first N bytes (rounded down to whole lines) for a prefix run;
MB/s is then over the bytes actually parsed.
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time


def open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, "r", encoding="utf-8", newline="\n")


def load(path, max_bytes=None, want_numpy=False):
    """Returns (columns dict, bytes parsed, events, objects)."""
    event_id, process, weight, met, met_phi, n_obj = [], [], [], [], [], []
    obj_type, obj_e, obj_pt, obj_eta, obj_phi = [], [], [], [], []
    nbytes = 0
    with open_text(path) as f:
        for line in f:
            if max_bytes is not None:
                # len(line) counts characters; the files are ASCII, so characters == bytes.
                if nbytes + len(line) > max_bytes:
                    break
            nbytes += len(line)
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split(";")
            if fields[-1] == "":
                fields.pop()
            event_id.append(int(fields[0]))
            process.append(fields[1])
            weight.append(float(fields[2]))
            met.append(float(fields[3]))
            met_phi.append(float(fields[4]))
            n = 0
            for obj in fields[5:]:
                t, e, pt, eta, phi = obj.split(",")
                obj_type.append(t)
                obj_e.append(float(e))
                obj_pt.append(float(pt))
                obj_eta.append(float(eta))
                obj_phi.append(float(phi))
                n += 1
            n_obj.append(n)
    cols = {
        "event_id": event_id, "process": process, "weight": weight, "met": met,
        "met_phi": met_phi, "n_obj": n_obj, "type": obj_type, "e": obj_e, "pt": obj_pt,
        "eta": obj_eta, "phi": obj_phi,
    }
    if want_numpy:
        import numpy as np

        for k in ("event_id", "n_obj"):
            cols[k] = np.asarray(cols[k], dtype=np.int64)
        for k in ("weight", "met", "met_phi", "e", "pt", "eta", "phi"):
            cols[k] = np.asarray(cols[k], dtype=np.float64)
        cols["type"] = np.asarray(cols["type"])
        cols["offsets"] = np.concatenate(([0], np.cumsum(cols["n_obj"])))
    return cols, nbytes, len(event_id), len(obj_e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--numpy", action="store_true", help="build numpy arrays at the end (if numpy is installed)")
    ap.add_argument("--max-bytes", type=float, default=None, help="parse only a prefix of about this many bytes")
    a = ap.parse_args()

    want_numpy = False
    if a.numpy:
        try:
            import numpy  # noqa: F401

            want_numpy = True
        except ImportError:
            print("numpy not installed; pure-Python lists only", file=sys.stderr)
    max_bytes = int(a.max_bytes) if a.max_bytes else None

    times = []
    nbytes = events = objects = 0
    for i in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        _cols, nbytes, events, objects = load(a.file, max_bytes, want_numpy)
        dt = time.perf_counter() - t0
        del _cols
        times.append(dt)
        print(f"run {i + 1}: {dt:.3f} s, {nbytes / 1e6 / dt:.2f} MB/s, {events} events", file=sys.stderr)
    best = min(times)
    median = statistics.median(times)
    print(
        f"python: {events} events, {objects} objects, {nbytes / 1e6:.1f} MB; best {best:.3f} s, "
        f"median {median:.3f} s; {nbytes / 1e6 / best:.2f} MB/s; {events / best:.0f} events/s"
    )
    if a.json:
        print(json.dumps({
            "tool": "python-dm_loader" + ("+numpy" if want_numpy else ""),
            "file": a.file,
            "bytes": nbytes,
            "file_bytes": os.path.getsize(a.file),
            "prefix": max_bytes is not None,
            "events": events,
            "objects": objects,
            "repeat": len(times),
            "threads": 1,
            "best_s": best,
            "median_s": median,
            "times_s": times,
            "mb_per_s": nbytes / 1e6 / best,
            "median_mb_per_s": nbytes / 1e6 / median,
            "events_per_s": events / best,
            "python": sys.version.split()[0],
        }))


if __name__ == "__main__":
    main()
