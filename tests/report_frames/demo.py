#!/usr/bin/env python3
"""demo.py -- an HTML report page with step-through views, from frame fixtures.

    tests/report_frames/demo.py OUT.html [--big FRAMES.json]

The page holds the shrunk failing trace of shrunk-coalesce.json (frames as
the driver's --frames will give them) and, with --big, a correct trace whose
frames come from FRAMES.json (make_frames.py output, e.g. 200 ops of the
solution).  Used by tests/test_report_steps.py and to make the screenshots
docs/steps-*.png (screenshots.sh).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from grader.html_report import page  # noqa: E402
from grader.model import GradeResult, TraceResult  # noqa: E402


def failing_trace() -> TraceResult:
    d = json.loads((HERE / "shrunk-coalesce.json").read_text())
    d.pop("_comment", None)
    t = TraceResult.from_driver(d)
    t.reproducer = d["reproducer"]
    return t


def correct_trace(frames: list, name: str = "synth-random-200.rep") -> TraceResult:
    last = frames[-1]
    peak = max(f["live_payload"] for f in frames)
    return TraceResult(name=name, correct=True, ops=len(frames), util=peak / last["heap_size"],
                       peak_payload=peak, heap_size=last["heap_size"], points=0, max_points=0,
                       extra={"frames": frames})


def build(big: Path | None = None) -> str:
    traces = [failing_trace()]
    if big:
        traces.append(correct_trace(json.loads(big.read_text())))
    return page.render(GradeResult(submission="my_alloc.c", traces=traces, score=0, max_score=100,
                                   verdict="1 of %d traces failed" % len(traces)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--big", type=Path)
    a = ap.parse_args()
    a.out.write_text(build(a.big), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
