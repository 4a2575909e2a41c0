"""Turning measurements into points: pure arithmetic, no I/O.

Per trace (weight w, from the config):
  * correctness gates everything: a failed trace earns 0 points;
  * utilization credit  = linear(u, util_min, util_max), where u is
    util / ceiling ("ceiling" mode) or util ("absolute" mode); a trace's
    entry in [trace_weights] may set its own util_min/util_max;
  * throughput credit   = linear(ratio, ratio_min, ratio_max), ratio being the
    libc-relative speed of the chosen speed mode.
linear(x, lo, hi) is 0 at or below lo, 1 at or above hi, straight in between.

The utilization part is worth max_score * util_weight / (util_weight +
speed_weight), shared among the traces counted for utilization in proportion
to their weights; the same for throughput.  A part with no counted trace (or
throughput when speed is not measured, mode "none") gives its share to the
other part, so max_score stays reachable.

A trace counted for neither part (util = speed = false) is graded for
correctness only: it has no points, and failing it costs
correctness_penalty points.

Then: a failed build gives 0; a static violation whose penalty is "zero"
gives 0; other penalties are subtracted; the score is clamped at 0 and
rounded to 2 decimals.

No number that is not finite and in range is ever scored, whatever built the
TraceResult (the driver document is validated in model.from_driver; a saved
document, a plug-in or instruction counts may still bring anything): a
correct trace whose util, ceiling or speed ratio is NaN, infinite, of the
wrong type or out of range becomes a failed trace of kind "tamper" here, and
linear() refuses a non-finite x.  `max(0, min(100, NaN))` is 100 in Python;
no such expression sees an unchecked number here.
"""
from __future__ import annotations

import math

from .config import Config
from .model import MAX_RATIO, UTIL_SLACK, GradeResult, TraceResult, clear_measurements, tamper_error


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def linear(x: float, lo: float, hi: float) -> float:
    """0 at or below lo, 1 at or above hi, linear in between (lo < hi).
    A non-finite or non-numeric x is a bug upstream: ValueError, never credit."""
    if not _finite(x):
        raise ValueError(f"linear() of a non-finite value {x!r}")
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    return (x - lo) / (hi - lo)


def util_measure(t: TraceResult, cfg: Config) -> float | None:
    """The number the utilization thresholds apply to."""
    if t.util is None:
        return None
    if cfg.util_mode == "ceiling":
        if not t.ceiling:
            return None
        return min(t.util / t.ceiling, 1.0)
    return t.util


def scored_problem(t: TraceResult, speed_mode: str) -> str:
    """"" when every number scoring reads from a correct trace is usable."""
    if t.util is not None:
        if not _finite(t.util) or not 0 < t.util <= 1:
            return f"util = {t.util!r} is not in (0, 1]"
    if t.ceiling is not None:
        if not _finite(t.ceiling) or not 0 < t.ceiling <= 1:
            return f"ceiling = {t.ceiling!r} is not in (0, 1]"
        if t.util is not None and t.util > t.ceiling * (1 + UTIL_SLACK):
            return f"util = {t.util!r} is above the ceiling {t.ceiling!r}"
    r = _speed_ratio(t, speed_mode)
    if r is not None and (not _finite(r) or not 0 < r <= MAX_RATIO):
        return f"speed ratio = {r!r} is not in (0, {MAX_RATIO:g}]"
    return ""


def part_maxima(cfg: Config, speed_measured: bool, has_util: bool, has_speed: bool):
    """Points available for utilization and for throughput."""
    uw = cfg.util_weight if has_util else 0.0
    sw = cfg.speed_weight if (has_speed and speed_measured) else 0.0
    if uw + sw <= 0:
        return 0.0, 0.0
    return cfg.max_score * uw / (uw + sw), cfg.max_score * sw / (uw + sw)


def score_traces(traces: list[TraceResult], cfg: Config, speed_mode: str) -> tuple[float, float, float, float]:
    """Fill in each trace's credits and points; return
    (util_points, util_max, speed_points, speed_max)."""
    speed_measured = speed_mode != "none"
    for t in traces:
        w = cfg.weight_of(t.name)
        t.weight, t.util_counted, t.speed_counted = w.weight, w.util, w.speed
    util_total = sum(t.weight for t in traces if t.util_counted)
    speed_total = sum(t.weight for t in traces if t.speed_counted)
    util_max, speed_max = part_maxima(cfg, speed_measured, util_total > 0, speed_total > 0)
    th = cfg.thresholds(speed_mode)

    for t in traces:
        reasons = []
        t_util_max = util_max * t.weight / util_total if t.util_counted and util_total else 0.0
        t_speed_max = speed_max * t.weight / speed_total if t.speed_counted and speed_total else 0.0
        t.max_points = t_util_max + t_speed_max
        t.util_credit = t.speed_credit = None
        t.util_points = t.speed_points = 0.0
        problem = scored_problem(t, speed_mode) if t.correct else ""
        if problem:
            t.correct, t.error = False, tamper_error(problem)
            clear_measurements(t)
        t.speed_ratio = None if problem else _speed_ratio(t, speed_mode)
        if not t.correct:
            t.util_credit = 0.0 if t_util_max else None
            t.speed_credit = 0.0 if t_speed_max else None
            t.points = 0.0
            t.reason = "FAIL " + (t.error_text or "not correct")
            if not (t.util_counted or t.speed_counted) and cfg.correctness_penalty:
                t.reason += f" (correctness-only trace: -{cfg.correctness_penalty:g} points)"
            continue
        if t_util_max:
            u = util_measure(t, cfg)
            u_lo, u_hi = cfg.util_thresholds(t.name)
            t.util_credit = linear(u, u_lo, u_hi) if u is not None else 0.0
            t.util_points = t_util_max * t.util_credit
            if u is None:
                reasons.append("no utilization measured")
            elif t.util_credit < 1:
                what = "util/ceiling" if cfg.util_mode == "ceiling" else "util"
                reasons.append(f"{what} {u:.3f} < {u_hi:g}")
        if t_speed_max:
            r = t.speed_ratio
            t.speed_credit = linear(r, th.ratio_min, th.ratio_max) if r is not None else 0.0
            t.speed_points = t_speed_max * t.speed_credit
            if r is None:
                reasons.append("no throughput measured")
            elif t.speed_credit < 1:
                reasons.append(f"speed ratio {r:.2f} < {th.ratio_max:g}")
        t.points = t.util_points + t.speed_points
        t.reason = "; ".join(reasons)

    return (sum(t.util_points for t in traces), util_max,
            sum(t.speed_points for t in traces), speed_max)


def correctness_only_failures(traces: list[TraceResult]) -> list[TraceResult]:
    return [t for t in traces if not t.correct and not (t.util_counted or t.speed_counted)]


def _speed_ratio(t: TraceResult, mode: str) -> float | None:
    if mode == "instructions":
        return t.instructions.get("ratio") if isinstance(t.instructions, dict) else None
    if mode == "wallclock":
        return t.ratio
    return None


def finish(result: GradeResult, cfg: Config) -> GradeResult:
    """Compute the final score of a result whose build, static checks and
    traces are filled in (traces may be empty when the build failed)."""
    mode = result.speed.mode
    th = cfg.thresholds(mode)
    result.speed.ratio_min, result.speed.ratio_max = th.ratio_min, th.ratio_max
    result.max_score = cfg.max_score
    result.hidden_detail, result.hidden_visibility = cfg.hidden_detail, cfg.hidden_visibility
    up, umax, sp, smax = score_traces(result.traces, cfg, mode)
    result.util_points, result.util_max = _r(up), _r(umax)
    result.speed_points, result.speed_max = _r(sp), _r(smax)
    if mode == "none" and result.traces:
        result.notes.append("throughput not measured: the score comes from utilization only")

    penalty = sum(v.penalty for v in result.static.violations if not v.zero)
    penalty += cfg.correctness_penalty * len(correctness_only_failures(result.traces))
    penalty += cfg.warning_penalty * len(result.build.warnings)
    result.penalty = _r(penalty)
    zero_rules = [v for v in result.static.violations if v.zero]

    if not result.build.ok:
        result.zeroed, result.score = True, 0.0
        result.verdict = "does not compile: " + (result.build.reason or "build failed")
    elif zero_rules:
        v = zero_rules[0]
        result.zeroed, result.score = True, 0.0
        result.verdict = f"score set to 0: {v.message} [{v.rule}]"
    elif not result.traces:
        result.score = 0.0
        result.verdict = "no trace was graded"
    elif not all(_finite(x) for x in (up, sp, penalty)):
        # unreachable after the checks above; if it ever happens, no credit
        result.zeroed, result.score = True, 0.0
        result.verdict = "internal grader error: a non-finite number reached the score"
    else:
        result.score = _r(max(0.0, min(cfg.max_score, up + sp - penalty)))
        failed = len(result.failed_traces)
        if failed:
            result.verdict = f"{failed} of {len(result.traces)} traces failed"
        else:
            result.verdict = f"all {len(result.traces)} traces correct"
        if penalty:
            result.verdict += f"; {result.penalty:g} points of penalties"
    if result.zeroed:
        result.util_points = result.speed_points = 0.0
        for t in result.traces:
            t.points = t.util_points = t.speed_points = 0.0
    for t in result.traces:
        t.points, t.max_points = _r(t.points), _r(t.max_points)
        t.util_points, t.speed_points = _r(t.util_points), _r(t.speed_points)
    return result


def _r(x: float) -> float:
    return round(x + 0.0, 2)
