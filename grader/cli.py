"""Command line of the grader (python3 -m grader --help).

Exit status: 0 when a submission was graded (whatever its score: a zero is a
result, not an error), 1 with --fail-under when the score is below it, 2 for
a usage error, a bad config or a broken kit (driver library does not build).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import build, config, pipeline, plugins, scoring
from .model import BuildResult, GradeResult, SpeedInfo, StaticResult, TraceResult, Violation
from .outputs import AutolabWriter, GithubWriter, GradescopeWriter, JsonWriter
from .terminal import TerminalWriter


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m grader",
        description="Grade an allocator (my_alloc.c): build, static checks, trace replay, score.",
        epilog="Without -t/-f the config's trace set is graded.  Exit status 0 whatever the score "
               "(see --fail-under); 2 on usage or configuration errors.")
    # In the kit the starter; in the student tarball (no starter/) the student's my_alloc.c.
    default = "my_alloc.c" if not Path("starter/my_alloc.c").exists() and Path("my_alloc.c").exists() \
        else "starter/my_alloc.c"
    p.add_argument("submission", nargs="?", default=default,
                   help="the C file to grade, or a directory holding my_alloc.c (default: %(default)s)")
    p.add_argument("-t", dest="trace_dirs", action="append", default=[], metavar="DIR",
                   help="grade every *.rep file in DIR (repeatable)")
    p.add_argument("-f", dest="trace_files", action="append", default=[], metavar="TRACE",
                   help="grade this trace (repeatable)")
    p.add_argument("--config", metavar="FILE", help="scoring configuration (default grader/config.toml)")
    p.add_argument("--check-config", action="store_true", help="validate the config, name the isolation layer this machine gives, and exit")
    p.add_argument("--count-libc", action="store_true",
                   help="count libc's instructions on the trace set once (for --speed instructions: "
                        "kept in build/grade/, so gradings count only the submission) and exit")
    p.add_argument("--speed", choices=config.SPEED_MODES,
                   help="throughput measure: wallclock (same-run ratio to libc), instructions "
                        "(valgrind callgrind: deterministic), none (default: config)")
    p.add_argument("--no-timing", action="store_true", help="same as --speed none")
    p.add_argument("--samples", type=int, metavar="N", help="wall-clock samples per allocator")
    p.add_argument("-T", dest="timeout", type=float, metavar="SECONDS", help="per-trace timeout")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="time budget of the whole grading: traces run shortest first with "
                        "timeouts that fit, the rest skipped with a note (default: the config's "
                        "[budget] local, 0 = none; platform entry points use their own)")
    out = p.add_argument_group("outputs")
    out.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    out.add_argument("--gradescope", metavar="FILE", help="write a Gradescope results.json")
    out.add_argument("--autolab", action="store_true", help='print the Autolab {"scores": ...} last line')
    out.add_argument("--prairielearn", metavar="FILE",
                     help="write a PrairieLearn external-grader results.json")
    out.add_argument("--classroom", metavar="FILE",
                     help="write a GitHub Classroom runner result (the reporter's JSON)")
    out.add_argument("--github", action="store_true",
                     help="GitHub annotations + job summary (automatic when GITHUB_ACTIONS=true)")
    out.add_argument("--no-github", action="store_true", help="never write GitHub outputs")
    out.add_argument("-q", "--quiet", action="store_true", help="no terminal report")
    out.add_argument("-v", "--verbose", action="store_true", help="also show the allocator's output")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit with status 1 when the score is below SCORE (for CI)")
    p.add_argument("--workdir", metavar="DIR", help="where to build (default build/grade/)")
    p.add_argument("--keep", action="store_true", help="keep the build directory (object file, linked driver)")
    p.add_argument("--rescore", metavar="JSON",
                   help="recompute the score of a saved `driver --json` or `grader --json` document "
                        "with the (new) config: no build, no run")
    bt = p.add_argument_group("batch grading")
    bt.add_argument("--batch", metavar="DIR", help="grade every submission in DIR (a subfolder or .c file each)")
    bt.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel submissions in --batch")
    bt.add_argument("--out", metavar="DIR", help="batch outputs: gradebook.csv, details.csv, one report "
                                                 "per student (default build/grade/batch)")
    bt.add_argument("--roster", metavar="CSV",
                    help="the class roster (e.g. the LMS's gradebook export): gradebook.csv keeps its "
                         "rows and columns, adds one score column, 0 for a missing submission")
    bt.add_argument("--roster-key", metavar="COLUMN",
                    help="the roster column naming each student's submission folder (default: "
                         "folder/submission/directory, else the column matching the most folders)")
    bt.add_argument("--assignment", default="slablab", metavar="NAME",
                    help="the score column's name (Canvas: 'Assignment Name (id)'; default %(default)s)")
    bt.add_argument("--similarity", action="store_true",
                    help="also write similarity.csv: near-copies across the class, starter discounted "
                         "(Debian's similarity-tester, sim_c)")
    for mod in plugins.load():
        if hasattr(mod, "add_arguments"):
            mod.add_arguments(p)
    return p


def count_libc(cfg, args) -> int:
    """--count-libc: libc's instruction counts on the trace set, into the
    cache that --speed instructions reads (grader/instructions.py).  A
    platform's setup runs it once (deploy/gradescope/setup.sh)."""
    from . import instructions, runner
    from .build import LIBC_HOST, ensure_driver_library, secret_paths
    if not instructions.cache_trusted():
        print("grader: --count-libc: this machine's isolation layer does not keep a counted run out "
              "of build/grade/, so gradings here do not use kept counts", file=sys.stderr)
        return 2
    ensure_driver_library()
    specs = runner.select_traces(cfg, args.trace_dirs, args.trace_files)
    workdir = Path(args.workdir or "build/grade") / "count-libc"
    counts = instructions.libc_counts(str(LIBC_HOST), [str(s.path) for s in specs],
                                      cfg.instructions_timeout_s, workdir, hide=secret_paths(cfg))
    bad = [(s.name, c.problem) for s, c in zip(specs, counts) if c.problem]
    if bad:
        print(f"grader: --count-libc: {bad[0][0]}: {bad[0][1]}", file=sys.stderr)
        return 1
    print(f"libc's instructions counted on {len(specs)} traces ({instructions.LIBC_CACHE})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        cfg = config.load(args.config)
    except config.ConfigError as e:
        print(f"grader: bad configuration: {e}", file=sys.stderr)
        return 2
    if args.check_config:
        print(f"{cfg.path}: ok")
        # What confines the compiler and the instruction-counted runs on this
        # machine (grader/isolate.py): a TA choosing --speed instructions for
        # grades needs bwrap or landlock here (README, "Deterministic speed").
        from . import isolate
        print(f"isolation: {isolate.layer_summary()}")
        return 0
    if args.count_libc:
        return count_libc(cfg, args)
    if args.no_timing:
        args.speed = "none"
    if args.samples is not None and args.samples < 1:
        print("grader: --samples must be >= 1", file=sys.stderr)
        return 2
    for d in args.trace_dirs:
        if not Path(d).is_dir():
            print(f"grader: -t {d}: not a directory", file=sys.stderr)
            return 2
    for f in args.trace_files:
        if not Path(f).is_file():
            print(f"grader: -f {f}: no such trace file", file=sys.stderr)
            return 2

    if args.rescore:
        return _rescore(args, cfg)

    try:
        libdriver = build.ensure_driver_library()
    except build.DriverLibraryError as e:
        print(f"grader: the kit's driver does not build (not the submission's fault):\n{e}", file=sys.stderr)
        return 2

    opts = pipeline.GradeOptions(
        trace_dirs=args.trace_dirs, trace_files=args.trace_files, speed_mode=args.speed,
        samples=args.samples, timeout_s=args.timeout, libdriver=libdriver,
        keep=args.keep, budget_s=(args.budget if args.budget is not None
                                  else cfg.budget_for("local")) or None,
        heapdump=any(getattr(m, "wants_heapdump", lambda a: False)(args) for m in plugins.load()))
    if args.workdir:
        opts.work_root = Path(args.workdir)

    if args.batch:
        from . import batch
        return batch.run(Path(args.batch), cfg, opts, jobs=max(1, args.jobs),
                         out_dir=Path(args.out) if args.out else None,
                         quiet=args.quiet, roster=Path(args.roster) if args.roster else None,
                         roster_key=args.roster_key, assignment=args.assignment,
                         similarity=args.similarity)

    result = pipeline.grade(Path(args.submission), cfg, opts, shown=args.submission)
    result.notes += plugins.problems()
    _emit(result, args, cfg)
    if args.fail_under is not None and result.score < args.fail_under:
        return 1
    return 0


def writers_for(args, cfg) -> list:
    ws: list = []
    if not args.quiet:
        color = None if args.color == "auto" else args.color == "always"
        ws.append(TerminalWriter(sys.stdout, color=color, verbose=args.verbose))
    if args.json:
        ws.append(JsonWriter(args.json))
    if args.gradescope:
        ws.append(GradescopeWriter(args.gradescope, cfg.hidden_visibility))
    if args.prairielearn:
        from .prairielearn import PrairieLearnWriter
        ws.append(PrairieLearnWriter(args.prairielearn))
    if args.classroom:
        from .classroom import ClassroomWriter
        ws.append(ClassroomWriter(args.classroom))
    if (args.github or os.environ.get("GITHUB_ACTIONS") == "true") and not args.no_github:
        ws.append(GithubWriter(sys.stdout))
    for mod in plugins.load():
        if hasattr(mod, "make_writers"):
            ws += list(mod.make_writers(args, cfg) or [])
    if args.autolab:
        ws.append(AutolabWriter(sys.stdout))     # the last line, always
    return ws


def _emit(result: GradeResult, args, cfg) -> None:
    for w in writers_for(args, cfg):
        try:
            w.write(result)
        except OSError as e:
            print(f"grader: cannot write {type(w).__name__} output: {e}", file=sys.stderr)


def _rescore(args, cfg) -> int:
    """Score a saved driver document: for TAs retuning the config, and tests."""
    try:
        doc = json.loads(Path(args.rescore).read_text())
        traces = []
        for d in doc["traces"]:
            t = TraceResult.from_driver(d, hidden=bool(d.get("hidden")) or "/hidden/" in str(d.get("path", "")))
            t.instructions = d.get("instructions")
            t.extra = {k: v for k, v in t.extra.items() if k in ("series", "heapmaps", "peak_op")}
            traces.append(t)
        static_res = StaticResult(ran="static" in doc)
        for v in (doc.get("static") or {}).get("violations", []):
            penalty = cfg.penalties.get(v["rule"], "zero")
            static_res.violations.append(Violation(
                v["rule"], v["symbol"], v["message"], 0.0 if penalty == "zero" else float(penalty),
                penalty == "zero", v.get("file"), v.get("line")))
        build_ok = (doc.get("build") or {}).get("ok", True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"grader: --rescore {args.rescore}: not a driver or grader --json document ({e})",
              file=sys.stderr)
        return 2
    mode = args.speed or (doc.get("speed") or {}).get("mode") or cfg.speed_mode
    if mode == "instructions" and not any(t.instructions for t in traces):
        mode = "wallclock"
    build_res = BuildResult(ok=bool(build_ok), reason=(doc.get("build") or {}).get("reason", ""))
    result = GradeResult(submission=doc.get("submission", args.rescore), student=doc.get("student", ""),
                         build=build_res, static=static_res, traces=traces, speed=SpeedInfo(mode=mode),
                         config_path=cfg.path, driver_json=doc)
    result.speed.spread = pipeline.spread_summary(result, cfg)
    scoring.finish(result, cfg)
    result.versions = pipeline.versions(cfg, result)
    _emit(result, args, cfg)
    if args.fail_under is not None and result.score < args.fail_under:
        return 1
    return 0
