"""Platform entry points: Gradescope, Autolab, PrairieLearn, GitHub Classroom.

    python3 -m grader.deploy gradescope   [--root /autograder]   [grader options]
    python3 -m grader.deploy autolab      [--dir .]              [grader options]
    python3 -m grader.deploy prairielearn [--root /grade]        [grader options]
    python3 -m grader.deploy classroom    [--dir .] --results F  [grader options]

Each one is what the platform's own script (deploy/<platform>/...) calls:
it finds the student's C file where the platform puts it, grades it within
the platform's time budget ([budget] in the config) and writes the platform's
result.  Invariants, whatever happens:
  * the platform's result is always written and always valid: no file, two
    files, a file that does not compile, a kit whose driver does not build, a
    grader bug -- each is a score of 0 with the reason, in the platform's own
    format (Gradescope results.json, Autolab's last stdout line, PrairieLearn
    results.json with gradable, GitHub Classroom's runner result);
  * the submitted file is found by content type, never by exact name: the
    browser's `my_alloc (1).c` is graded; it is copied to a private directory
    as my_alloc.c first, so odd names never reach a command line unquoted;
  * nothing the submission names or prints is trusted: file names shown in
    a result pass through the writers' escaping like any other text.
Exit status 0 when the result was written (a zero is a result), 2 otherwise.
"""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import build, config, pipeline, scoring
from .model import BuildResult, Diagnostic, GradeResult, SpeedInfo

PLATFORMS = ("gradescope", "autolab", "prairielearn", "classroom")
MAX_SOURCE_BYTES = 1 << 20          # a bigger "allocator" is not a submission
SKIP_DIRS = {"__MACOSX", ".git", "node_modules"}


# ------------------------------------------------------------ finding it --

def find_submission(directory: Path) -> tuple[Path | None, str]:
    """The student's C file in a platform's submission directory.

    Exactly one regular .c file anywhere below (hidden entries, symlinks and
    macOS resource forks ignored) -> it.  Several -> my_alloc.c at the top,
    else the only one named like my_alloc*.c, else a problem naming them.  None -> a problem saying what
    was there."""
    if not directory.is_dir():
        return None, f"no submission directory ({directory.name})"
    cs, others = [], []
    for d, dirs, names in os.walk(directory):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in SKIP_DIRS)
        for n in sorted(names):
            p = Path(d) / n
            if n.startswith(".") or n.startswith("._") or p.is_symlink() or not p.is_file():
                continue
            (cs if n.lower().endswith(".c") else others).append(p)
    rel = lambda p: str(p.relative_to(directory))  # noqa: E731
    exact = [p for p in cs if p.parent == directory and p.name == "my_alloc.c"]
    if len(cs) > 1 and exact:
        cs = exact
    if len(cs) > 1:
        named = [p for p in cs if p.name.lower().startswith("my_alloc")]
        if len(named) == 1:
            cs = named
    if len(cs) == 1:
        if cs[0].stat().st_size > MAX_SOURCE_BYTES:
            return None, f"{rel(cs[0])} is larger than 1 MiB: not graded"
        return cs[0], ""
    if not cs:
        seen = ", ".join(rel(p) for p in others[:5]) or "nothing"
        return None, f"no .c file was submitted (found: {seen}); submit my_alloc.c"
    return None, ("more than one .c file was submitted (" + ", ".join(rel(p) for p in cs[:6])
                  + "); submit only my_alloc.c")


def stage(source: Path, work: Path) -> Path:
    """Copy the found file to work/submission/my_alloc.c (a plain name)."""
    d = work / "submission"
    d.mkdir(parents=True, exist_ok=True)
    dest = d / "my_alloc.c"
    shutil.copyfile(source, dest)
    return dest


# --------------------------------------------------------- zero results --

def zero_result(cfg, reason: str, shown: str = "submission", kit: bool = False) -> GradeResult:
    """A valid GradeResult worth 0 that says why (no file, kit failure...)."""
    r = GradeResult(submission=shown, max_score=cfg.max_score if cfg else 100.0,
                    config_path=getattr(cfg, "path", ""))
    r.build = BuildResult(ok=False, reason=reason, diagnostics=[Diagnostic("error", reason)])
    r.speed = SpeedInfo(mode="none")
    if cfg is not None:
        scoring.finish(r, cfg)
    r.score, r.zeroed = 0.0, True
    r.verdict = ("the autograder could not run (not your fault; the course staff can see "
                 "this): " if kit else "not graded: ") + reason
    # Not the student's code being wrong: platforms that can say "invalid,
    # no attempt used" (PrairieLearn's gradable = false) say so.
    r.ungradable = r.verdict
    return r


# ------------------------------------------------------------ late policy --

def apply_late_policy(result: GradeResult, metadata: dict, late) -> None:
    """Gradescope's submission_metadata.json: created_at vs assignment due_date.
    late = config.LatePolicy; per started day late, per_day_percent of the
    score is taken off; beyond max_days (or past late_due_date) the score is 0."""
    if late is None or not late.per_day_percent and not late.max_days:
        return
    try:
        created = _parse_time(metadata["created_at"])
        due = _parse_time(metadata["assignment"]["due_date"])
    except (KeyError, TypeError, ValueError):
        return
    if created <= due:
        return
    days = math.ceil((created - due).total_seconds() / 86400)
    hard = (metadata.get("assignment") or {}).get("late_due_date")
    past_hard = False
    if hard:
        try:
            past_hard = created > _parse_time(hard)
        except ValueError:
            pass
    before = result.score
    if past_hard or (late.max_days and days > late.max_days):
        factor = 0.0
    else:
        factor = max(0.0, 1.0 - days * late.per_day_percent / 100.0)
    result.score = round(before * factor, 2)
    result.late = {"days": days, "factor": factor, "score_before": before}
    result.notes.append(f"late by {days} day(s): score {before:g} -> {result.score:g} "
                        f"(course policy: -{late.per_day_percent:g}% per day"
                        + (f", 0 after {late.max_days} days" if late.max_days else "") + ")")


_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?$")


def _parse_time(s: str) -> _dt.datetime:
    """ISO 8601 as Gradescope writes it (any fraction digits, Z or +hh:mm)."""
    m = _TIME.match(str(s).strip())
    if not m:
        raise ValueError(f"not a time: {s!r}")
    t = _dt.datetime.strptime(f"{m[1]} {m[2]}", "%Y-%m-%d %H:%M:%S")
    if m[3]:
        t = t.replace(microsecond=int((m[3] + "000000")[:6]))
    tz = m[4]
    if tz in (None, "Z"):
        return t.replace(tzinfo=_dt.timezone.utc)
    sign = 1 if tz[0] == "+" else -1
    hh, mm = int(tz[1:3]), int(tz[-2:])
    return t.replace(tzinfo=_dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm)))


# --------------------------------------------------------------- feedback --

def feedback_view(result: GradeResult) -> GradeResult:
    """The result as a student may see it in the text feedback (Autolab shows
    stdout to the student): hidden traces keep their points and verdict kind,
    lose their names, operations, lines, messages and the allocator's output.
    Uses outputs.student_view when the kit has it (the one redaction rule);
    this is the fallback."""
    import copy
    from . import outputs
    view = getattr(outputs, "student_view", None)
    if view is not None:
        try:
            v = view(result)
            if isinstance(v, GradeResult):
                return v
        except Exception:    # the fallback below still redacts
            pass
    r = copy.deepcopy(result)
    n = 0
    for t in r.traces:
        if t.hidden:
            n += 1
            t.name, t.path, t.output, t.reproducer = f"hidden trace {n}", "", "", None
            if t.error:
                t.error = {"kind": t.error.get("kind"), "op": None, "line": None,
                           "message": "(details hidden until the traces are released)"}
            t.reason = ""
    return r


# ---------------------------------------------------------------- writers --

def write_platform(platform: str, result: GradeResult, cfg, target) -> None:
    from .outputs import AutolabWriter, GradescopeWriter
    if platform == "gradescope":
        GradescopeWriter(str(target), cfg.hidden_visibility if cfg else "after_due_date").write(result)
        _fix_gradescope_late(target, result)
    elif platform == "autolab":
        AutolabWriter(sys.stdout).write(result)
    elif platform == "prairielearn":
        from .prairielearn import PrairieLearnWriter
        PrairieLearnWriter(str(target)).write(result)
    elif platform == "classroom":
        from .classroom import ClassroomWriter
        ClassroomWriter(str(target)).write(result)


def _fix_gradescope_late(target, result: GradeResult) -> None:
    """results.json's tests sum to the score before a late penalty; Gradescope
    takes the top-level score when present, which is the penalised one."""
    late = getattr(result, "late", None)
    if not late:
        return
    doc = json.loads(Path(target).read_text())
    doc["score"] = float(result.score)
    Path(target).write_text(json.dumps(doc, indent=2) + "\n")


# ------------------------------------------------------------------- main --

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m grader.deploy",
                                description="Grade one submission the way a platform runs it.")
    p.add_argument("platform", choices=PLATFORMS)
    p.add_argument("--root", help="platform root: /autograder (Gradescope), /grade (PrairieLearn)")
    p.add_argument("--dir", help="directory holding the submission (Autolab, Classroom: .)")
    p.add_argument("--results", help="result file (default: the platform's place)")
    p.add_argument("--config", help="grader config (default grader/config.toml)")
    p.add_argument("--speed", choices=config.SPEED_MODES)
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="whole-grading time budget (default: the config's [budget] for the platform)")
    p.add_argument("-t", dest="trace_dirs", action="append", default=[], metavar="DIR")
    p.add_argument("-f", dest="trace_files", action="append", default=[], metavar="TRACE")
    p.add_argument("-T", dest="timeout", type=float, metavar="SECONDS")
    p.add_argument("--samples", type=int, metavar="N")
    p.add_argument("-q", "--quiet", action="store_true", help="no terminal report")
    return p


def _places(args) -> tuple[Path, Path | None, Path | None]:
    """(submission dir, result target or None for stdout, metadata file)."""
    if args.platform == "gradescope":
        root = Path(args.root or "/autograder")
        return (root / "submission", Path(args.results or root / "results" / "results.json"),
                root / "submission_metadata.json")
    if args.platform == "prairielearn":
        root = Path(args.root or "/grade")
        return root / "student", Path(args.results or root / "results" / "results.json"), None
    if args.platform == "classroom":
        return Path(args.dir or "."), Path(args.results or "classroom-result.json"), None
    return Path(args.dir or "."), None, None


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()       # the budget counts from here: the kit build is in it
    args = parser().parse_args(argv)
    sub_dir, target, meta_path = _places(args)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
    cfg = None
    try:
        cfg = config.load(args.config)
        result = _grade(args, cfg, sub_dir, started)
        if meta_path is not None and meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            if not result.zeroed:
                apply_late_policy(result, meta, cfg.late)
    except config.ConfigError as e:
        result = zero_result(None, f"bad grader configuration: {e}", kit=True)
    except Exception:      # a grader bug: still a valid result
        result = zero_result(cfg, "internal grader error", kit=True)
        result.notes.append(traceback.format_exc(limit=6))
    if not args.quiet:           # before Autolab's line, which must come last
        from .terminal import render
        sys.stdout.write(render(feedback_view(result)))
    try:
        write_platform(args.platform, result, cfg, target)
    except OSError as e:
        print(f"grader.deploy: cannot write the {args.platform} result: {e}", file=sys.stderr)
        return 2
    return 0


def _grade(args, cfg, sub_dir: Path, started: float) -> GradeResult:
    source, problem = find_submission(sub_dir)
    if source is None:
        return zero_result(cfg, problem)
    shown = source.name
    try:
        libdriver = build.ensure_driver_library()
    except build.DriverLibraryError as e:
        r = zero_result(cfg, "the kit's driver does not build", shown, kit=True)
        r.notes.append(str(e)[-2000:])
        return r
    budget = args.budget if args.budget is not None else cfg.budget_for(args.platform)
    if budget:
        budget = max(1.0, budget - (time.monotonic() - started))   # what the kit build left
    opts = pipeline.GradeOptions(trace_dirs=args.trace_dirs, trace_files=args.trace_files,
                                 speed_mode=args.speed, samples=args.samples,
                                 timeout_s=args.timeout, libdriver=libdriver,
                                 budget_s=budget or None)
    work = Path(tempfile.mkdtemp(prefix="slablab-submission."))
    try:
        staged = stage(source, work)
        return pipeline.grade(staged, cfg, opts, shown=shown)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------- GitHub Classroom --

def classroom_output(result_file: Path) -> str:
    """The step output line Classroom's reporter reads: result=<base64 JSON>."""
    return "result=" + base64.b64encode(result_file.read_bytes()).decode("ascii")


if __name__ == "__main__":
    sys.exit(main())
