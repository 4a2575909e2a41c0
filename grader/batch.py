"""--batch DIR: grade a whole class, N submissions at a time.

DIR holds one entry per student: a subfolder (holding my_alloc.c, or a single
.c file) or a .c file; the student's name is the folder name or the file's
stem.  Hidden entries (.name) are skipped.  Each submission is graded by
pipeline.grade() in its own work directory; grade() turns anything a
submission does into a result, and this loop turns even a grader crash into a
zero row, so one broken submission never stops the batch.

Outputs (in --out, default build/grade/batch/):
  gradebook.csv          LMS-ready: one row per student and ONE score column
                         (named --assignment, default "slablab").  With
                         --roster ROSTER.csv (the LMS's own export: Canvas's
                         Student, ID, SIS User ID, SIS Login ID, Section, or
                         any CSV with a header), every roster row in roster
                         order with its columns kept, the score added, and 0
                         for a student without a submission; the column that
                         names the submission folders is --roster-key, else
                         a column called folder/submission/directory, else
                         the column whose values match the most folders.
                         Without a roster: student, score.
  details.csv            one row per graded submission: student, score,
                         max_score, verdict, util/speed points, penalty, one
                         column per trace (points), failures, violations
  similarity.csv         with --similarity: pairs of submissions by shared
                         code, the starter discounted (grader/similarity.py)
  reports/<student>.txt  the terminal report (no colour), student view
  reports/<student>.json the --json document, student view (outputs.student_view)
Every text cell that a submission can influence (verdicts, failures, names)
is neutralised for spreadsheets: a cell starting with = + - @ or a control
character is prefixed with ' so that opening the CSV never runs a formula.
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


class RosterError(Exception):
    """A roster CSV that cannot be used: the message names the file, line and reason."""


def read_roster(path: Path, names: list[str], key: str | None = None) -> tuple[list[str], list[dict], str]:
    """(columns, rows, key column) of a roster CSV; rows in file order.
    A Canvas export's "Points Possible" row (no student) is kept as is."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RosterError(f"{path}: cannot read: {e}") from None
    reader = csv.DictReader(text.splitlines())
    cols = [c for c in (reader.fieldnames or []) if c is not None]
    if not cols:
        raise RosterError(f"{path}:1: no header row")
    if len(set(cols)) != len(cols):
        raise RosterError(f"{path}:1: duplicate column names")
    rows = []
    for i, row in enumerate(reader, 2):
        if None in row:
            raise RosterError(f"{path}:{i}: more cells than the header has columns")
        rows.append({c: (row.get(c) or "") for c in cols})
    if key is not None:
        if key not in cols:
            raise RosterError(f"{path}:1: no column {key!r} (columns: {', '.join(cols)})")
    else:
        named = [c for c in cols if c.strip().lower() in ("folder", "submission", "directory")]
        if named:
            key = named[0]
        else:
            have = set(names)
            hits = {c: sum(1 for r in rows if r[c].strip() in have) for c in cols}
            key = max(cols, key=lambda c: hits[c])
            if not hits[key]:
                raise RosterError(f"{path}: no column names any submission folder; say which with "
                                  "--roster-key COLUMN")
    seen = {}
    for i, r in enumerate(rows, 2):
        v = r[key].strip()
        if v and v in seen:
            raise RosterError(f"{path}:{i}: {key} {v!r} already on line {seen[v]}")
        if v:
            seen[v] = i
    return cols, rows, key


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(text) -> str:
    """A text cell safe to open in a spreadsheet (no formula injection)."""
    s = str(text)
    return "'" + s if s.startswith(_DANGEROUS) else s


def run(directory: Path, cfg: Config, opts: pipeline.GradeOptions, *, jobs: int = 1,
        out_dir: Path | None = None, quiet: bool = False, roster: Path | None = None,
        roster_key: str | None = None, assignment: str = "slablab",
        similarity: bool = False) -> int:
    if not directory.is_dir():
        print(f"grader: --batch {directory}: not a directory", file=sys.stderr)
        return 2
    subs = submissions(directory)
    roster_doc = None
    if roster is not None:
        try:
            roster_doc = read_roster(roster, [s for s, _ in subs], roster_key)
        except RosterError as e:
            print(f"grader: --roster: {e}", file=sys.stderr)
            return 2
    if not subs and roster_doc is None:
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
    write_details(out_dir / "details.csv", ordered)
    unmatched = write_gradebook(gradebook, ordered, roster_doc, assignment)
    if not quiet:
        print(f"graded {len(ordered)} submissions: gradebook {gradebook} "
              f"(details.csv beside it), reports in {reports}/")
        if roster_doc is not None:
            missing = sum(1 for r in roster_doc[1] if r[roster_doc[2]].strip() not in results)
            print(f"roster {roster}: {len(roster_doc[1])} students, {missing} without a submission "
                  "(scored 0)")
        for s in unmatched:
            print(f"warning: submission {s!r} matches no roster row (key column "
                  f"{roster_doc[2]!r}): it is in details.csv, not in the gradebook", file=sys.stderr)
    if similarity:
        _similarity(subs, out_dir, quiet)
    return 0


def _similarity(subs, out_dir: Path, quiet: bool) -> None:
    from . import build, similarity as sim
    from .config import REPO_ROOT
    files = [(s, build.find_source(p)) for s, p in subs]
    files = [(s, f) for s, f in files if f is not None]
    try:
        pairs = sim.compare(files, REPO_ROOT / "starter" / "my_alloc.c")
    except sim.SimilarityError as e:
        print(f"grader: similarity report skipped: {e}", file=sys.stderr)
        return
    path = out_dir / "similarity.csv"
    sim.write_report(path, pairs)
    flagged = [q for q in pairs if q.flagged]
    if not quiet:
        print(f"similarity: {len(flagged)} near-copy pair(s) of {len(pairs)} ({path})")
        for q in flagged[:20]:
            print(f"  {q.a} ~ {q.b}: {q.share_a:.0%} / {q.share_b:.0%} of their own code shared")


def _write_reports(reports: Path, student: str, r: GradeResult) -> None:
    # the student view (hidden traces per [traces] hidden_detail), strict JSON
    outputs.write_student_reports(reports, _safe(student), r)


def write_gradebook(path: Path, results: list[GradeResult], roster=None,
                    assignment: str = "slablab") -> list[str]:
    """The LMS file: one score column.  Returns the submissions no roster row names."""
    by = {r.student: r for r in results}
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if roster is None:
            w.writerow(["student", assignment])
            for r in results:
                w.writerow([cell(r.student), f"{r.score:g}"])
            return []
        cols, rows, key = roster
        w.writerow([*cols, assignment])
        named = set()
        for row in rows:
            v = row[key].strip()
            if not v and not any(row[c].strip() for c in cols if c != key):
                continue
            if not v:              # e.g. Canvas's "Points Possible" row: keep, with the maximum
                score = f"{results[0].max_score:g}" if results and "points possible" in \
                    " ".join(row.values()).lower() else ""
            else:
                named.add(v)
                score = f"{by[v].score:g}" if v in by else "0"
            w.writerow([cell(row[c]) for c in cols] + [score])
    return [s for s in by if s not in named]


def write_details(path: Path, results: list[GradeResult]) -> None:
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
            w.writerow([cell(r.student), f"{r.score:g}", f"{r.max_score:g}", cell(r.verdict),
                        f"{r.util_points:g}", f"{r.speed_points:g}", f"{r.penalty:g}",
                        *[(f"{pts[n]:g}" if n in pts else "") for n in trace_names],
                        cell(failures), cell(violations)])
