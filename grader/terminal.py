"""The readable report for a terminal (colour only when writing to a TTY).

Layout: build and static-check findings first (they explain a zero), then one
row per trace (pass/FAIL, util, ceiling, throughput ratio with its spread,
points), the failures spelled out under the table, then the score line.

This report is student-visible (Autolab shows the autograder's stdout, GitHub
shows the job log), so it is rendered from outputs.student_view(): hidden
traces show only what [traces] hidden_detail allows; `staff=True` renders
the full detail.  Every untrusted string is one clean line (safetext.line)
or, for the allocator's output, a quoted block ("| " on every line, 4 KiB
per trace, 64 KiB per report): no colour of ours is ever inside untrusted
text, and no line of it can pass as one of ours or as a GitHub workflow
command.  Under GitHub Actions the report is also wrapped in
::stop-commands:: with a random token.
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

from . import safetext as S
from .model import GradeResult, TraceResult

RED, GREEN, YELLOW, BOLD, DIM, RESET = "\033[31m", "\033[32m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


def _fmt(x, spec, none="-"):
    return none if x is None else format(x, spec)


class TerminalWriter:
    def __init__(self, stream: TextIO | None = None, color: bool | None = None, verbose: bool = False,
                 staff: bool = False):
        self.stream = stream or sys.stdout
        if color is None:
            color = self.stream.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"
        self.color = color
        self.verbose = verbose
        self.staff = staff

    def c(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def write(self, result: GradeResult) -> None:
        text = render(result, self.c, self.verbose, staff=self.staff)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            # GitHub's documented way to print untrusted text: nothing between
            # these markers is a workflow command (the escaping above already
            # makes sure; this is the second lock).
            from .outputs import stop_commands_token
            token = stop_commands_token()
            text = f"::stop-commands::{token}\n{text}::{token}::\n"
        self.stream.write(text)
        self.stream.flush()


def render(r: GradeResult, c=lambda code, text: text, verbose: bool = False, staff: bool = False) -> str:
    """The report as text.  staff=False (default): of the student view."""
    if not staff:
        from .outputs import student_view
        r = student_view(r)
    out: list[str] = []
    w = out.append
    title = S.name(r.student or r.submission)
    w(c(BOLD, f"slablab grader: {title}") + "\n")

    b = r.build
    if not b.ok:
        w(c(RED, "BUILD FAILED") + f": {S.line(b.reason)}\n")
    for d in b.diagnostics[:200]:
        if d.severity in ("error", "warning"):
            loc = f"{S.name(d.file)}:{d.line}: " if d.file and d.line else (f"{S.name(d.file)}: " if d.file else "")
            tag = c(RED, "error") if d.severity == "error" else c(YELLOW, "warning")
            w(f"  {loc}{tag}: {S.line(d.message)}\n")
    if len(b.diagnostics) > 200:
        w(f"  ... and {len(b.diagnostics) - 200} more compiler messages\n")

    s = r.static
    if s.error:
        w(c(YELLOW, "static checks could not run") + f": {S.line(s.error)}\n")
    for v in s.violations[:200]:
        cost = "score set to 0" if v.zero else (f"-{v.penalty:g} points" if v.penalty else "no penalty")
        loc = f"{S.name(v.file)}:{v.line}: " if v.file and v.line else ""
        w(f"  {loc}{c(RED, 'rule ' + S.line(v.rule, 40))}: {S.line(v.message)} ({cost})\n")
    if s.ran and not s.violations:
        w(f"static checks: ok ({s.global_data_bytes} of {s.global_data_cap} bytes of global data)\n")

    if r.traces:
        w("\n" + _table(r, c) + "\n")
        failed = r.failed_traces
        budget = S.Budget()
        if failed:
            w("\n" + c(BOLD, "Failures:") + "\n")
            for t in failed:
                w(f"  {S.name(t.name)}: {S.line(t.error_text or 'not correct')}\n")
                if t.reproducer:
                    w(f"    reproducer: {S.line(t.reproducer.get('path') or t.reproducer)}\n")
                if t.output and verbose:
                    w(_indent(S.output_block(t.output, budget), "    ") + "\n")
    from .outputs import notes_lines
    for note in notes_lines(r):
        w(c(DIM, note) + "\n")

    sp = r.speed
    if sp.mode != "none" and r.traces:
        w(f"\nthroughput: {S.line(sp.mode, 20)}; full credit at ratio >= {sp.ratio_max:g}, none at <= {sp.ratio_min:g}")
        if sp.spread.get("traces"):
            w(f"; wall-clock ratio spread over {sp.spread.get('samples')} samples: "
              f"median {sp.spread['median_rel_spread'] * 100:.1f}%, worst {sp.spread['max_rel_spread'] * 100:.1f}% "
              f"({S.name(sp.spread['worst_trace'])})")
        w("\n")
        if sp.error:
            w(c(YELLOW, f"speed measurement problem: {S.line(sp.error)}") + "\n")

    score = f"{r.score:g}/{r.max_score:g}"
    colour = GREEN if r.score >= r.max_score else (RED if r.score == 0 else YELLOW)
    w("\n" + c(BOLD, "Score: ") + c(colour + BOLD, score))
    if r.traces and not r.zeroed:
        w(f"  (utilization {r.util_points:g}/{r.util_max:g}, throughput {r.speed_points:g}/{r.speed_max:g}"
          + (f", penalties -{r.penalty:g}" if r.penalty else "") + ")")
    w(f"\n{S.line(r.verdict)}\n")
    return S.guard_lines("".join(out))


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + ln for ln in text.split("\n"))


def _table(r: GradeResult, c) -> str:
    speed_head = "instr" if r.speed.mode == "instructions" else "vs libc"
    head = ["trace", "result", "util", "ceiling", "u/ceil", "Kops/s", speed_head, "spread", "points"]
    rows = [head]
    for t in r.traces:
        rows.append(_row(t, r.speed.mode))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            padded = cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            if n and i == 1:
                padded = c(GREEN if cell == "pass" else RED, padded)
            cells.append(padded)
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def _row(t: TraceResult, mode: str) -> list[str]:
    name = S.name(t.name) + (" (hidden)" if t.hidden else "")
    result = "pass" if t.correct else "FAIL"
    ratio = t.speed_ratio if mode == "instructions" else t.ratio
    spread = "-"
    if t.ratio_min is not None and t.ratio_max is not None:
        spread = f"{t.ratio_min:.2f}..{t.ratio_max:.2f}"
    u_c = (t.util / t.ceiling) if (t.util is not None and t.ceiling) else None
    return [name, result, _fmt(t.util, ".1%"), _fmt(t.ceiling, ".1%"), _fmt(u_c, ".1%"),
            _fmt(t.ops_per_sec / 1000 if t.ops_per_sec else None, ".0f"),
            _fmt(ratio, ".2f"), spread,
            "-" if t.shown == "pass_fail" else f"{t.points:.2f}/{t.max_points:.2f}"]
