#!/usr/bin/env python3
"""make_frames.py -- fixture frames for the HTML step-through view.

    tests/report_frames/make_frames.py ALLOCATOR.c TRACE.rep -o OUT.json

Builds record_frames.c with ALLOCATOR.c and build/libdriver-nomain.a (run
`make build/libdriver-nomain.a` first), replays TRACE once without checks and
writes the frames (the schema of the driver's future `--frames N`; see
record_frames.c).  The committed fixtures were made with it; the tests also
regenerate one to check the tool and the view against a real allocator.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "traces"))
import tracekit  # noqa: E402


def requests(trace: Path) -> list[tuple[str, int, int, int]]:
    """(kind, id, size, line) per request; a free's size is filled in by the C side."""
    out = []
    for lineno, raw in enumerate(trace.read_text().splitlines(), 1):
        fields = raw.split("#", 1)[0].split()
        if fields and fields[0] in ("a", "f", "r"):
            size = int(fields[2]) if len(fields) > 2 else 0
            out.append((fields[0], int(fields[1]), size, lineno))
    tracekit.check_ops([(k, i, s) for k, i, s, _ in out], str(trace))
    return out


def frames(alloc: Path, trace: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "record_frames"
        subprocess.run(["cc", "-std=c11", "-O1", "-g", "-D_GNU_SOURCE", f"-I{ROOT}/include",
                        f"-I{ROOT}/grader/driver", str(Path(__file__).with_name("record_frames.c")),
                        str(alloc), str(ROOT / "build/libdriver-nomain.a"), "-o", str(exe)], check=True)
        text = "".join(f"{k} {i} {s} {ln}\n" for k, i, s, ln in requests(trace))
        p = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True, timeout=60)
        return json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("allocator", type=Path)
    ap.add_argument("trace", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    a.output.write_text(json.dumps(frames(a.allocator, a.trace), separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
