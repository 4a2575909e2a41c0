"""--batch DIR: grade a whole class, N submissions at a time.

DIR holds one entry per student: a subfolder (holding my_alloc.c, or a single
.c file) or a .c file; the student's name is the folder name or the file's
stem.  Hidden entries (.name) are skipped.  Each submission is graded by
pipeline.grade() in its own work directory; grade() turns anything a
submission does into a result, and this loop turns even a grader crash into a
zero row, so one broken submission never stops the batch.

Outputs (in --out, default build/grade/batch/):
  gradebook.csv          one row per student: student, score, max_score,
                         verdict, util/speed points, penalty, one column per
                         trace (points), failures, violations
  reports/<student>.txt  the terminal report (no colour), student view
  reports/<student>.json the --json document, student view (outputs.student_view)
"""
from __future__ import annotations

import csv
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from . import outputs, pipeline
from .config import REPO_ROOT, Config
from .model import GradeResult
from .terminal import render

DEFAULT_OUT = REPO_ROOT / "build" / "grade" / "batch"


def submissions(directory: Path) -> list[tuple[str, Path]]:
    """(student, path) for every entry of a class directory, sorted by name."""
    out = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            out.append((entry.name, entry))
        elif entry.suffix == ".c" and entry.is_file():
            out.append((entry.stem, entry))
    return out


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "student"


def run(directory: Path, cfg: Config, opts: pipeline.GradeOptions, *, jobs: int = 1,
        out_dir: Path | None = None, quiet: bool = False) -> int:
    if not directory.is_dir():
        print(f"grader: --batch {directory}: not a directory", file=sys.stderr)
        return 2
    subs = submissions(directory)
    if not subs:
        print(f"grader: --batch {directory}: no submissions (subfolders or .c files)", file=sys.stderr)
        return 2
    out_dir = out_dir or DEFAULT_OUT
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    batch_opts = replace(opts, work_root=opts.work_root / "batch-work")

    results: dict[str, GradeResult] = {}
    lock = threading.Lock()
    done = 0
    tty = sys.stderr.isatty()

    def one(student: str, path: Path) -> GradeResult:
        try:
            return pipeline.grade(path, cfg, batch_opts, student=_safe(student), shown=str(path))
        except Exception as e:      # pipeline.grade already catches; belt and braces
            r = GradeResult(submission=str(path), student=student, max_score=cfg.max_score)
            r.verdict, r.zeroed = f"internal grader error: {e}", True
            return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, s, p): s for s, p in subs}
        for fut in as_completed(futures):
            student = futures[fut]
            r = fut.result()
            r.student = student
            with lock:
                results[student] = r
                done += 1
                _write_reports(reports, student, r)
                if not quiet:
                    line = f"[{done}/{len(subs)}] {student}: {r.score:g}/{r.max_score:g} {r.verdict}"
                    sys.stderr.write(("\r\033[K" + line[:150]) if tty else line + "\n")
                    sys.stderr.flush()
    if not quiet and tty:
        sys.stderr.write("\n")

    ordered = [results[s] for s, _ in subs]
    gradebook = out_dir / "gradebook.csv"
    write_gradebook(gradebook, ordered)
    if not quiet:
        print(f"graded {len(ordered)} submissions: gradebook {gradebook}, reports in {reports}/")
    return 0


def _write_reports(reports: Path, student: str, r: GradeResult) -> None:
    # the student view (hidden traces per [traces] hidden_detail), strict JSON
    outputs.write_student_reports(reports, _safe(student), r)


def write_gradebook(path: Path, results: list[GradeResult]) -> None:
    trace_names: list[str] = []
    for r in results:
        for t in r.traces:
            if t.name not in trace_names:
                trace_names.append(t.name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max_score", "verdict", "util_points", "speed_points",
                    "penalty", *trace_names, "failures", "violations"])
        for r in results:
            pts = {t.name: t.points for t in r.traces}
            failures = "; ".join(f"{t.name}: {(t.error or {}).get('kind', 'failed')}"
                                 for t in r.failed_traces)
            if not r.build.ok:
                failures = f"build: {r.build.reason}"
            violations = "; ".join(f"{v.rule} {v.symbol}" for v in r.static.violations)
            w.writerow([r.student, f"{r.score:g}", f"{r.max_score:g}", r.verdict,
                        f"{r.util_points:g}", f"{r.speed_points:g}", f"{r.penalty:g}",
                        *[(f"{pts[n]:g}" if n in pts else "") for n in trace_names],
                        failures, violations])
