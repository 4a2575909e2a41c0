"""Running the traces within a time budget (platform limits) and keeping the
credit of a correct allocator that is too slow to be timed.

    run(driver, specs, ..., deadline=None) -> runner.DriverRun

Without a deadline the driver runs once on every trace (runner.run_driver).
With one (a monotonic time, from [budget] in the config), traces run one
driver invocation each, the shortest file first, and each gets the per-trace
timeout min(-T, what is left less MIN_TRACE_S per later trace): the run ends
on time whatever the allocator does (an allocator that hangs on every trace
costs the budget, never more), timing samples shrink when the pace so far
would not leave room for the rest, and a trace that no longer fits is
reported as skipped, named in a note, never silently dropped.  Results come
back in the original order.

A trace that timed out in an *unchecked timing replay* passed both checked
replays: it is replayed once more without timing (bounded like the rest), so
it keeps its correctness and utilization credit and loses only throughput,
with a note that says so -- not a message about infinite loops.

Invariants: one TraceResult per spec, in spec order; nothing here runs
student code except through the driver; the notes (which students see)
never name a hidden trace.
"""
from __future__ import annotations

import time

from . import runner
from .model import TraceResult

MIN_TRACE_S = 0.5        # kept for each later trace while the budget allows
MIN_START_S = 0.25       # below this a trace is skipped rather than started
RESERVE_S = 2.0          # kept for scoring and writing the result
SLOW_TIMING = "of an unchecked timing replay"


def timed_out_in_timing(t: TraceResult) -> bool:
    e = t.error or {}
    return e.get("kind") == "timeout" and SLOW_TIMING in (e.get("message") or "")


def run(driver: str, specs: list, *, timeout_s: float, samples: int, timing: bool,
        heapdump: bool = False, deadline: float | None = None) -> runner.DriverRun:
    if deadline is None:
        out = runner.run_driver(driver, specs, timeout_s=timeout_s, samples=samples,
                                timing=timing, heapdump=heapdump)
    else:
        out = _budgeted(driver, specs, timeout_s, samples, timing, heapdump, deadline)
    if timing:
        _credit_slow(driver, specs, out, timeout_s, heapdump, deadline)
    return out


def _left(deadline: float) -> float:
    return deadline - time.monotonic() - RESERVE_S


def _budgeted(driver, specs, timeout_s, samples, timing, heapdump, deadline) -> runner.DriverRun:
    out = runner.DriverRun()
    order = sorted(range(len(specs)), key=lambda i: (_size(specs[i].path), i))
    got: dict[int, TraceResult] = {}
    docs: dict[int, dict] = {}
    skipped = []
    spent, done, fewest, cut = 0.0, 0, samples, []
    for k, i in enumerate(order):
        spec = specs[i]
        # This trace may use what is left, less MIN_TRACE_S for each later
        # trace: a fast allocator is never cut short, a hanging one times out
        # trace after trace and the last ones still run, with shorter timeouts.
        # (When the budget cannot give every trace MIN_TRACE_S, each later one
        # is kept an even share instead.)
        later = len(order) - k - 1
        left = _left(deadline)
        keep = min(MIN_TRACE_S, left / (later + 1))
        t = min(timeout_s, left - later * keep)
        # Timing samples are what a correct allocator spends its time on: when
        # the traces so far, at their pace, would not leave room for the rest,
        # take fewer samples (never fewer than one).
        n = samples
        if timing and done:
            pace = spent / done
            if pace * (later + 1) > left:
                n = max(1, int(samples * left / (pace * (later + 1))))
            fewest = min(fewest, n)
        if t < MIN_START_S:
            skipped.append(spec)
            got[i] = TraceResult(name=spec.name, path=str(spec.path), hidden=spec.hidden,
                                 correct=False,
                                 error={"kind": "skipped", "op": None, "line": None,
                                        "message": "not run: the grading time budget was used up "
                                                   "by the traces before it"})
            continue
        t0 = time.monotonic()
        one = runner.run_driver(driver, [spec], timeout_s=t, samples=n, timing=timing,
                                heapdump=heapdump)
        spent, done = spent + time.monotonic() - t0, done + 1
        got[i] = one.traces[0]
        if one.document and one.document.get("traces"):
            docs[i] = one.document
        out.notes += one.notes
        if t < timeout_s and (got[i].error or {}).get("kind") == "timeout":
            cut.append(f"{_named(spec)} {t:.1f} s")
    out.traces = [got[i] for i in range(len(specs))]
    first = next((docs[i] for i in range(len(specs)) if i in docs), None)
    if first is not None:
        out.document = dict({k: v for k, v in first.items() if k != "traces"},
                            traces=[docs[i]["traces"][0] for i in range(len(specs)) if i in docs])
    if cut:
        out.notes.append(f"time budget: these traces timed out with their timeout (of {timeout_s:g} s) "
                         "cut to fit the grading time budget: " + ", ".join(cut))
    if fewest < samples:
        out.notes.append(f"time budget: timing samples reduced to as few as {fewest} "
                         f"(of {samples}) per trace to fit the grading time budget")
    if skipped:
        out.notes.append(f"time budget: {len(skipped)} trace(s) not run, scored 0: "
                         + ", ".join(_named(s) for s in skipped))
    return out


def _credit_slow(driver, specs, out: runner.DriverRun, timeout_s, heapdump, deadline) -> None:
    for i, t in enumerate(out.traces):
        if not timed_out_in_timing(t):
            continue
        limit = timeout_s if deadline is None else min(timeout_s, _left(deadline))
        if limit < MIN_TRACE_S:
            out.notes.append(f"{_named(t)}: too slow for its timing replays, and no time was left "
                             "to replay it without timing")
            continue
        again = runner.run_driver(driver, [specs[i]], timeout_s=limit, samples=1, timing=False,
                                  heapdump=heapdump)
        u = again.traces[0]
        if u.correct:
            u.hidden = t.hidden
            out.traces[i] = u
            out.notes.append(f"{_named(t)}: correct, but too slow for its timing replays within "
                             f"{timeout_s:g} s: correctness and utilization credited, "
                             "throughput scored 0")


def _named(spec_or_trace) -> str:
    """A trace's name for the notes, which students see: hidden traces unnamed."""
    return "a hidden trace" if getattr(spec_or_trace, "hidden", False) else spec_or_trace.name


def _size(path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
