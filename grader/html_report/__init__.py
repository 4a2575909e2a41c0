"""The HTML report (grader plug-in): `python3 -m grader SUBMISSION --html DIR`.

Writes DIR/index.html, one self-contained static page (inline CSS and SVG,
nothing fetched; the only script is steps.py's inline player, present when a
trace has per-op frames) that shows the score, the trace table (failing
traces first, with diagnoses and reproducers), and for every correct trace:
utilization over time, the fragmentation breakdown at the peak, heap maps at
the peak and at the end, and slab occupancy per size class.

How it plugs in (see grader/plugins.py): `--html` makes the grader run the
driver with `--heapdump`, whose fields (peak_op, series, heapmaps) the grader
keeps in TraceResult.extra; the writer below renders the GradeResult.

Modules: heapmap.py turns a heap dump into byte categories (the definitions
live there), svg.py draws, steps.py is the step-through view of short and
shrunk traces (the driver's --frames), page.py lays out the page.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from . import page

GRADER_PLUGIN = True


def add_arguments(parser) -> None:
    # Listed with the other outputs in --help when the grader has that group.
    group = next((g for g in getattr(parser, "_action_groups", []) if g.title == "outputs"), parser)
    group.add_argument("--html", metavar="DIR",
                       help="write an HTML report to DIR/index.html: utilization over time, "
                            "heap maps and fragmentation per trace (runs the driver with --heapdump)")


def wants_heapdump(args) -> bool:
    return bool(getattr(args, "html", None))


def make_writers(args, cfg) -> list:
    return [HtmlWriter(args.html)] if getattr(args, "html", None) else []


class HtmlWriter:
    """Writes DIR/index.html; says where on stderr (stdout may end with the Autolab line)."""

    def __init__(self, directory: str, stream=None):
        self.directory = Path(directory)
        self.stream = stream if stream is not None else sys.stderr

    @property
    def path(self) -> Path:
        return self.directory / "index.html"

    def write(self, result) -> None:
        # Student-visible (a CI artifact, a page handed back): hidden traces
        # show only what [traces] hidden_detail allows (grader/outputs.py).
        from ..outputs import student_view
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name("index.html.tmp")
        tmp.write_text(page.render(student_view(result)), encoding="utf-8", errors="backslashreplace")
        os.replace(tmp, self.path)
        self.stream.write(f"HTML report: {self.path}\n")
        self.stream.flush()
