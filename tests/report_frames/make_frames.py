#!/usr/bin/env python3
"""make_frames.py -- frames for the HTML step-through view, from the real driver.

    tests/report_frames/make_frames.py ALLOCATOR.c TRACE.rep -o OUT.json

Compiles ALLOCATOR.c, links it into its allocator host (grader/link.py) and
runs `build/driver --json --no-timing --frames N` on TRACE (run `make kit`
first): the frames are the driver's own, the heap after every op of the
first checked replay (up to the failing op of a failing trace).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from grader import link  # noqa: E402


def frames(alloc: Path, trace: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        obj, host = Path(tmp) / "a.o", Path(tmp) / "allocator"
        subprocess.run(["cc", "-std=c11", "-O1", "-g", f"-I{ROOT}/include", "-include", "my_alloc.h",
                        "-c", str(alloc), "-o", str(obj)], check=True)
        link.link_allocator(str(obj), str(host))
        p = subprocess.run([str(ROOT / "build" / "driver"), "--allocator", str(host), "--json",
                            "--no-timing", "--frames", "100000", "-f", str(trace)],
                           capture_output=True, text=True, timeout=120)
        return json.loads(p.stdout)["traces"][0].get("frames", [])


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
