"""One submission from source file to GradeResult.

Each run works in a fresh directory build/grade/<name>.XXXX/ (removed at the
end unless --keep), so concurrent gradings never share files.

    build -> static checks -> driver run (wall clock) -> [instruction counts]
          -> failure hooks -> scoring

grade() never raises for anything a submission does; a failure of the grader
itself (a bug) becomes a zero with verdict "internal grader error" and the
traceback in the notes, so a batch always goes on.
"""
from __future__ import annotations

import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, build, plugins, runner, schedule, scoring, static
from .config import REPO_ROOT, Config
from .model import GradeResult, SpeedInfo

WORK_ROOT = REPO_ROOT / "build" / "grade"
# All failure hooks (reproducer shrinking) of one grading share this many
# seconds at most, and never more than the time budget leaves.
HOOKS_TOTAL_S = 60.0
# Wall-clock samples per trace under --speed instructions (see _grade_in).
INSTRUCTION_MODE_SAMPLES = 1


@dataclass
class GradeOptions:
    trace_dirs: list[str] = field(default_factory=list)
    trace_files: list[str] = field(default_factory=list)
    speed_mode: str | None = None       # None: the config's [speed] mode
    samples: int | None = None
    timeout_s: float | None = None
    heapdump: bool = False
    keep: bool = False                  # keep the work directory (object, driver)
    work_root: Path = WORK_ROOT
    libdriver: Path = build.LIBDRIVER
    failure_hooks: list = field(default_factory=list)
    budget_s: float | None = None       # whole grading, seconds (platforms); None: unbounded


def work_name(submission: Path) -> str:
    """A directory name for a submission: starter/my_alloc.c -> "starter"."""
    p = submission.resolve() if submission.exists() else submission
    base = p.parent.name if p.name == "my_alloc.c" and p.parent.name else p.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base) or "submission"


def grade(submission: Path, cfg: Config, opts: GradeOptions, *, student: str = "",
          shown: str | None = None) -> GradeResult:
    t0 = time.monotonic()
    deadline = t0 + opts.budget_s if opts.budget_s else None
    shown = shown or str(submission)
    result = GradeResult(submission=shown, student=student, max_score=cfg.max_score,
                         config_path=cfg.path)
    try:
        _grade(submission, cfg, opts, result, shown, deadline)
    except Exception:   # a grader bug must not take a batch down
        result.notes.append("internal grader error:\n" + traceback.format_exc(limit=8))
        result.score, result.zeroed = 0.0, True
        result.verdict = "internal grader error (reported to the TA; not your fault)"
    result.elapsed_s = time.monotonic() - t0
    result.versions = versions(cfg, result)
    return result


def _grade(submission: Path, cfg: Config, opts: GradeOptions, result: GradeResult, shown: str,
           deadline: float | None = None) -> None:
    mode = opts.speed_mode or cfg.speed_mode
    result.speed = SpeedInfo(mode=mode)
    # A fresh directory per run: two gradings of the same file at once (a
    # student's terminal and CI, parallel tests) must not share a driver.
    opts.work_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=(result.student or work_name(submission)) + ".",
                                    dir=opts.work_root))
    try:
        _grade_in(submission, cfg, opts, result, shown, mode, workdir, deadline)
    finally:
        if opts.keep:
            result.notes.append(f"build products kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _grade_in(submission: Path, cfg: Config, opts: GradeOptions, result: GradeResult, shown: str,
              mode: str, workdir: Path, deadline: float | None = None) -> None:

    # 1. build
    result.build = build.compile_submission(submission, workdir, cfg, opts.libdriver, shown)
    if result.build.isolation not in ("", "bwrap", "landlock"):
        from . import isolate
        result.notes.append(f"the compiler ran with weak isolation: {isolate.layer_summary()}")
    source = build.find_source(submission)
    if result.build.object_file and Path(result.build.object_file).exists():
        # 2. static checks (also on a link failure: they often explain it)
        result.static = static.check_object(result.build.object_file, cfg, str(opts.libdriver),
                                            _shown_source(source, submission, shown))
        if source:
            static.locate(result.static.violations, source)
    if not result.build.ok:
        scoring.finish(result, cfg)
        return
    # 2b. the linked executable against the baseline (the host with an empty
    # allocator): load-time code and writable segments, decided on the file.
    # A kit problem here raises: grade() turns it into an internal error.
    baseline = build.baseline_executable(cfg, opts.libdriver)
    result.static.violations += static.check_linked(result.build.allocator, str(baseline), cfg)
    # Never execute what a check rejected: a violation that zeroes the score
    # (load-time code, forbidden calls, interposition, global data) means the
    # submission's code is not run at all.
    zeroing = [v for v in result.static.violations if v.zero]
    if zeroing:
        result.notes.append(f"not run: the static checks rejected it ({zeroing[0].rule}), and "
                            "nothing a check rejected is ever executed")
        scoring.finish(result, cfg)
        return

    # 3. the driver
    specs = runner.select_traces(cfg, opts.trace_dirs, opts.trace_files)
    if not specs:
        result.notes.append("no traces found (public_dir "
                            f"{cfg.public_dir}; use -t DIR or -f TRACE)")
    timeout = opts.timeout_s or cfg.timeout_s
    # Under --speed instructions the timed replays still run -- each is
    # verified against the checked one, and the report shows the wall-clock
    # ratio -- but the score does not use them: one sample each (the driver
    # adds more where the first is noisy) unless --samples says otherwise.
    samples = opts.samples or (INSTRUCTION_MODE_SAMPLES if mode == "instructions" else cfg.samples)
    run = schedule.run(result.build.driver, specs, timeout_s=timeout,
                       samples=samples,
                       timing=(mode == "wallclock" or mode == "instructions"),
                       heapdump=opts.heapdump, deadline=deadline)
    result.traces, result.driver_json = run.traces, run.document
    result.notes += run.notes
    result.speed.spread = spread_summary(result, cfg)

    # 4. deterministic speed
    if mode == "instructions" and result.traces:
        from . import instructions
        err = instructions.measure(result.build.allocator, specs, result.traces, cfg, workdir,
                                   libc_binary=str(build.LIBC_HOST))
        result.speed.tool = "callgrind"
        if err:
            # The grader's problem, not the student's: fall back to the wall clock.
            result.speed.error = err
            result.speed.mode = "wallclock"
            result.notes.append(f"instruction counting failed ({err}); throughput was scored "
                                "on the wall-clock ratio instead")

    # 5. failure hooks (e.g. shrinking a failed trace to a minimal reproducer)
    hooks = list(opts.failure_hooks) + [m.failure_hook for m in plugins.load()
                                        if hasattr(m, "failure_hook")]
    if hooks:
        ctx = plugins.HookContext(result.build.driver, workdir, cfg, timeout)
        # One bounded budget for all hooks, inside the grading's own budget.
        ctx.hooks_deadline = time.monotonic() + HOOKS_TOTAL_S
        if deadline is not None:
            ctx.hooks_deadline = min(ctx.hooks_deadline, deadline - schedule.RESERVE_S)
        for t in result.failed_traces:
            if time.monotonic() >= ctx.hooks_deadline:
                result.notes.append("reproducers: the time for them ran out before "
                                    f"{'a hidden trace' if t.hidden else t.name} "
                                    "(and any later failed trace)")
                break
            for hook in hooks:
                try:
                    hook(result, t, ctx)
                except Exception as e:
                    result.notes.append(f"failure hook {getattr(hook, '__module__', hook)} failed on "
                                        f"{t.name}: {e}")
    # 6. points
    scoring.finish(result, cfg)


def _shown_source(source: Path | None, submission: Path, shown: str) -> str:
    if source is None or source == submission:
        return shown
    return str(Path(shown) / source.relative_to(submission))


def spread_summary(r: GradeResult, cfg: Config | None = None) -> dict:
    """How far apart the wall-clock samples were: (max - min) / median ratio,
    over the traces that count for throughput."""
    rel = []
    for t in r.traces:
        if cfg is not None and not cfg.weight_of(t.name).speed:
            continue
        if t.ratio and t.ratio_min is not None and t.ratio_max is not None:
            rel.append(((t.ratio_max - t.ratio_min) / t.ratio, t.name))
    if not rel:
        return {}
    worst = max(rel)
    return {"traces": len(rel), "samples": max((t.samples or 0) for t in r.traces),
            "median_rel_spread": round(statistics.median(x for x, _ in rel), 4),
            "max_rel_spread": round(worst[0], 4), "worst_trace": worst[1]}


_cc_version_cache: dict = {}


def versions(cfg: Config, r: GradeResult) -> dict:
    cc = cfg.compiler()
    if cc not in _cc_version_cache:
        try:
            out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=20).stdout
            _cc_version_cache[cc] = out.splitlines()[0] if out else cc
        except (OSError, subprocess.TimeoutExpired):
            _cc_version_cache[cc] = cc
    v = {"grader": __version__, "python": platform.python_version(), "compiler": _cc_version_cache[cc]}
    if r.driver_json and "version" in r.driver_json:
        v["driver_json"] = r.driver_json["version"]
    return v
