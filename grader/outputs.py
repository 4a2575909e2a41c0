"""Machine-readable outputs: --json, Gradescope, Autolab, GitHub Actions,
and the student view every student-visible output is made from.

Each output is a pure function of a GradeResult (documents built here, tested
against the platforms' documented formats in tests/test_grader_outputs.py)
plus a small writer class with `write(result)`, the interface every reporter
shares (grader/terminal.py, plug-ins such as the HTML report).

Formats:
  * Gradescope: results.json as specified at
    https://gradescope-autograders.readthedocs.io/en/latest/specs/ -- top-level
    score, output, tests[] (name, score, max_score, status, output,
    visibility), leaderboard[] (name, value, order).
  * Autolab: the autograder's LAST output line is
    {"scores": {problem: points, ...}, "scoreboard": [values...]}.
    Problems: Utilization, Throughput, Penalties (sum = the score).
  * GitHub Actions: Markdown appended to $GITHUB_STEP_SUMMARY and workflow
    commands "::error file=F,line=L,title=T::message" on stdout.

Who sees what (config [traces] hidden_detail, see grader/config.toml):
  * student-visible -- the terminal report (it is Autolab's feedback and the
    GitHub log), Gradescope's top-level output and visible tests, the
    GitHub annotations and job summary, the HTML report, batch
    reports/<student>.*: all made from student_view(result), which keeps of
    a hidden trace only its pass/fail and points (or less), under an
    anonymous name;
  * staff -- --json (JsonWriter), Gradescope's per-hidden-trace detail
    tests (visibility = hidden_visibility, e.g. after_due_date), the batch
    gradebook: full detail.

Untrusted text (allocator output, diagnostics, symbol, file and student
names, messages) goes through grader/safetext.py for each sink: one-line
fields with line(), the allocator's output quoted line by line ("| ") under
a header that says it is the allocator's, at most 4 KiB per trace and 64 KiB
per report.  Every JSON document is strict (dumps() below: no NaN/Infinity,
valid UTF-8).
"""
from __future__ import annotations

import copy
import json
import math
import os
import secrets
import statistics
import sys
from pathlib import Path
from typing import Any, TextIO

from . import safetext as S
from .model import GradeResult, TraceResult

# ----------------------------------------------------------- strict JSON --

def _finite_only(obj: Any) -> Any:
    """obj with every non-finite float replaced by None (and keys as str)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite_only(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_only(v) for v in obj]
    if isinstance(obj, str):
        return obj.encode("utf-8", "backslashreplace").decode("utf-8")   # lone surrogates
    return obj


def dumps(obj: Any, **kw) -> str:
    """Strict JSON text: no NaN/Infinity (they become null: scoring never lets
    one through, this is the last guard), valid UTF-8."""
    return json.dumps(_finite_only(obj), allow_nan=False, **kw)


# ----------------------------------------------------------- student view --

HIDDEN_MESSAGE = "no detail before release"


def hidden_label(k: int) -> str:
    return f"hidden trace {k}"


def student_view(r: GradeResult, detail: str | None = None) -> GradeResult:
    """A copy of r that a student may see: every hidden trace keeps only what
    `detail` (default: the config's hidden_detail, recorded in r by
    scoring.finish) allows -- "points": pass/fail and points; "pass_fail":
    pass/fail; "none": the trace is left out; "full": everything.  Its name
    becomes "hidden trace K", and its op, line, request, error kind and
    message, measurements, allocator output, reproducer and driver fields
    are gone; notes naming a hidden trace are withheld.  r is not changed.
    Idempotent: a view of a view is the same view."""
    detail = detail or r.hidden_detail or "points"
    if r.student_view or detail == "full" or not any(t.hidden for t in r.traces):
        v = copy.copy(r)
        v.driver_json = None if any(t.hidden for t in r.traces) else r.driver_json
        return v
    raw_doc, r.driver_json = r.driver_json, None     # not copied (large), never shown
    try:
        v = copy.deepcopy(r)
    finally:
        r.driver_json = raw_doc
    secret_words = set()
    traces, k = [], 0
    for t in v.traces:
        if not t.hidden:
            traces.append(t)
            continue
        k += 1
        for word in (t.name, t.path, Path(t.path).stem if t.path else ""):
            if word and len(word) >= 3:
                secret_words.add(word)
        if detail == "none":
            continue
        traces.append(_redacted(t, hidden_label(k), detail))
    v.traces = traces
    v.notes = [n if not any(w in n for w in secret_words)
               else "withheld (it concerns a hidden trace)" for n in v.notes]
    spread = dict(v.speed.spread or {})
    if spread.get("worst_trace") in secret_words:
        spread["worst_trace"] = "a hidden trace"
    v.speed.spread = spread
    if detail == "none" and v.build.ok and not v.zeroed and r.traces:
        public = [t for t in r.traces if not t.hidden]
        failed = sum(1 for t in public if not t.correct)
        v.verdict = (f"{failed} of {len(public)} public traces failed" if failed
                     else f"all {len(public)} public traces correct")
        v.verdict += "; hidden traces are graded and not shown"
        if v.penalty:
            v.verdict += f"; {v.penalty:g} points of penalties"
    v.student_view = True
    return v


def _redacted(t: TraceResult, label: str, detail: str) -> TraceResult:
    keep_points = detail == "points"
    return TraceResult(
        name=label, path="", hidden=True, correct=t.correct,
        error=None if t.correct else {"kind": "hidden", "op": None, "line": None,
                                      "message": HIDDEN_MESSAGE},
        weight=t.weight, util_counted=t.util_counted, speed_counted=t.speed_counted,
        points=t.points if keep_points else 0.0,
        max_points=t.max_points if keep_points else 0.0,
        util_points=0.0, speed_points=0.0,
        reason="" if t.correct else "FAIL (hidden trace)",
        shown=detail)


def write_student_reports(reports_dir: Path, name: str, r: GradeResult) -> None:
    """The per-student batch reports (for grader/batch.py): NAME.txt (the
    terminal report, no colour) and NAME.json (the --json document), both of
    the student view: these are what a course hands back to students.  The
    gradebook keeps the staff detail."""
    from .terminal import render
    v = student_view(r)
    _write_text(str(Path(reports_dir) / f"{name}.txt"), render(v))
    _write_text(str(Path(reports_dir) / f"{name}.json"), dumps(v.to_dict(), indent=2) + "\n")


# ---------------------------------------------------------------- helpers --

def mean_util(r: GradeResult) -> float:
    """Mean utilization over the correct traces (0 when none)."""
    us = [t.util for t in r.traces if t.correct and t.util is not None]
    return statistics.fmean(us) if us else 0.0


def median_speed(r: GradeResult) -> float:
    rs = [t.speed_ratio for t in r.traces if t.correct and t.speed_ratio is not None]
    return statistics.median(rs) if rs else 0.0


def diagnostic_line(d) -> str:
    loc = f"{S.name(d.file)}:{d.line}: " if d.file and d.line else (f"{S.name(d.file)}: " if d.file else "")
    return f"{loc}{S.line(d.severity, 20)}: {S.line(d.message)}"


def violation_line(v) -> str:
    cost = "score set to 0" if v.zero else (f"-{v.penalty:g} points" if v.penalty else "no penalty")
    loc = f"{S.name(v.file)}:{v.line}: " if v.file and v.line else ""
    return f"{loc}rule {S.line(v.rule, 40)}: {S.line(v.message)} ({cost})"


def trace_error_text(t: TraceResult) -> str:
    """t.error_text, on one clean line."""
    return S.line(t.error_text or "not correct")


def notes_lines(r: GradeResult) -> list[str]:
    """Each note as clean lines; continuation lines quoted (a note may hold a
    traceback or the driver's stderr)."""
    out = []
    for n in r.notes:
        first, _, rest = S.clean(n).partition("\n")
        out.append(f"note: {S.cap(first, S.LINE_CAP)}")
        if rest:
            out += S.block(rest, S.BLOCK_CAP, "  | ").split("\n")
    return out


def summary_lines(r: GradeResult) -> list[str]:
    """The few lines that explain a score, shared by several outputs (give a
    student view)."""
    lines = [f"Score: {r.score:g}/{r.max_score:g} -- {S.line(r.verdict)}"]
    if not r.build.ok:
        lines.append(f"Build failed: {S.line(r.build.reason)}")
    for d in r.build.diagnostics[:50]:
        if d.severity in ("error", "warning"):
            lines.append(diagnostic_line(d))
    for v in r.static.violations[:50]:
        lines.append(violation_line(v))
    for t in r.failed_traces:
        lines.append(f"{S.name(t.name)}: FAIL {trace_error_text(t)}")
    spread = spread_line(r)
    if spread:
        lines.append(spread)
    lines += notes_lines(r)
    return lines


def spread_line(r: GradeResult) -> str:
    """One line on how noisy the wall-clock timing was (every report shows it)."""
    s = r.speed.spread
    if not s.get("traces"):
        return ""
    return (f"Throughput: {r.speed.mode}; wall-clock ratio spread (max-min)/median over "
            f"{s['samples']} samples: median {s['median_rel_spread'] * 100:.0f}%, worst "
            f"{s['max_rel_spread'] * 100:.0f}% ({S.name(s['worst_trace'])})")


def trace_output(t: TraceResult, budget: S.Budget | None = None) -> str:
    """One trace's text for a test's output (plain text, safe)."""
    if t.shown == "pass_fail":
        return "pass" if t.correct else "FAIL (hidden trace: no detail before release)"
    if t.shown == "points":
        return (("pass" if t.correct else "FAIL (hidden trace: no detail before release)")
                + f": {t.points:g}/{t.max_points:g} points")
    if not t.correct:
        text = f"FAIL: {trace_error_text(t)}"
    else:
        parts = []
        if t.util is not None:
            parts.append(f"utilization {t.util:.1%} (ceiling {t.ceiling:.1%})" if t.ceiling
                         else f"utilization {t.util:.1%}")
        if t.speed_ratio is not None:
            parts.append(f"speed {t.speed_ratio:.2f}x libc")
        if t.ratio_min is not None and t.ratio_max is not None:
            parts.append(f"wall-clock ratio spread {t.ratio_min:.2f}..{t.ratio_max:.2f}")
        text = "pass: " + ", ".join(parts)
        if t.reason:
            text += f"\npoints lost: {S.line(t.reason)}"
    out = S.output_block(t.output, budget)
    if out:
        text += "\n" + out
    return text


# ------------------------------------------------------------------ JSON --

class JsonWriter:
    """--json: the full result (staff detail), strict JSON."""

    def __init__(self, path: str):
        self.path = path

    def write(self, result: GradeResult) -> None:
        _write_text(self.path, dumps(result.to_dict(), indent=2) + "\n")


# ------------------------------------------------------------ Gradescope --

def _test(name: str, visibility: str, status: str, output: str,
          score: float | None = None, max_score: float | None = None, number: str = "") -> dict:
    d: dict = {"name": name}
    if number:
        d["number"] = number
    if score is not None:
        d["score"], d["max_score"] = float(score), float(max_score or 0.0)
    d.update({"status": status, "output": output, "visibility": visibility})
    return d


def gradescope_document(r: GradeResult, hidden_visibility: str | None = None) -> dict:
    """results.json.  Everything visible before release comes from the
    student view; each hidden trace also gets a full-detail test whose
    visibility is hidden_visibility (unless that is "visible" or the detail
    is already "full")."""
    hidden_visibility = hidden_visibility or r.hidden_visibility
    v = student_view(r)
    budget = S.Budget()
    tests = []
    build_out = "\n".join(diagnostic_line(d) for d in v.build.diagnostics[:200]
                          if d.severity in ("error", "warning"))
    if v.build.ok:
        tests.append(_test("Build", "visible", "passed", build_out or "compiled without warnings", 0, 0))
    else:
        tests.append(_test("Build", "visible", "failed",
                           f"The submission does not compile: {S.line(v.build.reason)}\n{build_out}".strip(),
                           0, v.max_score))
    if v.static.ran or v.static.error:
        vs = v.static.violations
        text = "\n".join(violation_line(x) for x in vs[:200])
        if v.static.error:
            text = f"static checks could not run: {S.line(v.static.error)}"
        tests.append(_test("Static checks", "visible", "failed" if vs or v.static.error else "passed",
                           text or "only allowed symbols; "
                                   f"{v.static.global_data_bytes} bytes of global data", 0, 0))
    for i, t in enumerate(v.traces, 1):
        status = "passed" if t.correct else "failed"
        if t.shown == "pass_fail":
            tests.append(_test(S.name(t.name), "visible", status, trace_output(t), number=str(i)))
        elif t.shown == "points":
            tests.append(_test(S.name(t.name), "visible", status, trace_output(t),
                               t.points, t.max_points, str(i)))
        else:
            vis = hidden_visibility if t.hidden else "visible"
            tests.append(_test(f"trace {S.name(t.name)}", vis, status, trace_output(t, budget),
                               t.points, t.max_points, str(i)))
    # The hidden traces' detail, for after the release (Gradescope keeps a
    # test of visibility after_due_date/after_published/hidden from students
    # until then).  Points ride on it when the student-visible test has none.
    if v.student_view and hidden_visibility != "visible":
        for t in (t for t in r.traces if t.hidden):
            carries = r.hidden_detail != "points"
            tests.append(_test(f"trace {S.name(t.name)} (hidden, detail)", hidden_visibility,
                               "passed" if t.correct else "failed", trace_output(t, budget),
                               t.points if carries else 0.0, t.max_points if carries else 0.0))
    return {
        "score": float(r.score),
        "output": "\n".join(summary_lines(v)),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": int(round(r.elapsed_s)),
        "tests": tests,
        "leaderboard": [
            {"name": "Score", "value": float(r.score), "order": "desc"},
            # of the student view: a hidden trace's numbers are not averaged in
            {"name": "Utilization", "value": round(mean_util(v) * 100, 2), "order": "desc"},
            {"name": "Throughput", "value": round(median_speed(v), 3), "order": "desc"},
        ],
        "extra_data": {"verdict": S.line(v.verdict), "speed_mode": v.speed.mode},
    }


class GradescopeWriter:
    def __init__(self, path: str, hidden_visibility: str | None = None):
        self.path, self.hidden_visibility = path, hidden_visibility

    def write(self, result: GradeResult) -> None:
        doc = gradescope_document(result, self.hidden_visibility)
        _write_text(self.path, dumps(doc, indent=2) + "\n")


# --------------------------------------------------------------- Autolab --

def autolab_document(r: GradeResult) -> dict:
    util = 0.0 if r.zeroed else r.util_points
    speed = 0.0 if r.zeroed else r.speed_points
    penalties = round(r.score - util - speed, 2)     # <= 0; the three sum to the score
    v = student_view(r)
    return {"scores": {"Utilization": util, "Throughput": speed, "Penalties": penalties},
            "scoreboard": [r.score, round(mean_util(v) * 100, 2), round(median_speed(v), 3)]}


class AutolabWriter:
    """Prints the Autolab line; must be the last thing written to stdout."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
    last = True

    def write(self, result: GradeResult) -> None:
        self.stream.write(dumps(autolab_document(result), separators=(",", ":")) + "\n")
        self.stream.flush()


# ---------------------------------------------------------------- GitHub --

_esc_data = S.gh_data
_esc_prop = S.gh_prop

MAX_ANNOTATIONS = 50     # GitHub shows at most 10 per step and 50 per job anyway


def github_annotations(r: GradeResult) -> list[str]:
    """Workflow commands for compile errors/warnings, rule violations and
    failed traces, of the student view; every field escaped."""
    v = student_view(r)
    out = []

    def cmd(level, message, file=None, line=None, col=None, title=None):
        props = []
        if file:
            props.append(f"file={S.gh_prop(file)}")
        if isinstance(line, int) and line > 0:
            props.append(f"line={line}")
        if isinstance(col, int) and col > 0:
            props.append(f"col={col}")
        if title:
            props.append(f"title={S.gh_prop(title)}")
        out.append(f"::{level} {','.join(props)}::{S.gh_data(message)}" if props
                   else f"::{level}::{S.gh_data(message)}")

    for d in v.build.diagnostics:
        if d.severity in ("error", "warning"):
            cmd(d.severity, S.line(d.message), d.file, d.line, d.column,
                "compile error" if d.severity == "error" else "compiler warning")
    if not v.build.ok and not v.build.errors:
        cmd("error", f"build failed: {S.line(v.build.reason)}", title="build failed")
    for x in v.static.violations:
        cmd("error", S.line(x.message), x.file, x.line, None, f"rule {S.line(x.rule, 40)}")
    for t in v.failed_traces:
        cmd("error", f"{S.name(t.name)}: {trace_error_text(t)}", title=f"trace {S.name(t.name)} failed")
    return out[:MAX_ANNOTATIONS]


def github_summary(r: GradeResult) -> str:
    """The job summary (GitHub-flavoured Markdown) of the student view: every
    untrusted string in a code span or a fenced block it cannot close."""
    v = student_view(r)
    budget = S.Budget()
    md = [f"## slablab grade: {v.score:g}/{v.max_score:g}", "", f"**Verdict:** {S.md_code(v.verdict)}", ""]
    if v.traces and not v.zeroed:
        md.append(f"Utilization {v.util_points:g}/{v.util_max:g}, throughput "
                  f"{v.speed_points:g}/{v.speed_max:g} ({S.md_code(v.speed.mode, 20)})"
                  + (f", penalties -{v.penalty:g}" if v.penalty else "") + "")
        md.append("")
    if not v.build.ok:
        text = v.build.output.strip()[-3000:] or v.build.reason
        md += ["### Build failed", "", S.md_fence(text, 3000), ""]
    if v.static.violations:
        md += ["### Static checks", "", "| rule | symbol | problem | cost |", "| --- | --- | --- | --- |"]
        for x in v.static.violations[:100]:
            md.append(f"| {S.md_code(x.rule, 40)} | {S.md_code(x.symbol, S.NAME_CAP)} | "
                      f"{S.md_code(x.message)} | {'score 0' if x.zero else f'-{x.penalty:g}'} |")
        md.append("")
    if v.traces:
        md += ["### Traces", "", "| trace | result | util | ceiling | speed vs libc | points |",
               "| --- | --- | ---: | ---: | ---: | ---: |"]
        for t in v.traces:
            res = "pass" if t.correct else f"**FAIL** {S.md_code(t.error_text)}"
            pts = "-" if t.shown == "pass_fail" else f"{t.points:g}/{t.max_points:g}"
            md.append(f"| {S.md_code(t.name, S.NAME_CAP)}{' (hidden)' if t.hidden else ''} | {res} | "
                      f"{_pct(t.util)} | {_pct(t.ceiling)} | "
                      f"{'-' if t.speed_ratio is None else f'{t.speed_ratio:.2f}'} | {pts} |")
        md.append("")
        shown = [t for t in v.failed_traces if t.output and t.shown == "full"]
        for t in shown:
            n = budget.take(t.output)
            md += [f"<details><summary>allocator output of {S.md_code(t.name, S.NAME_CAP)} "
                   "(the allocator's own text, not the grader's)</summary>", "",
                   S.md_fence(S.block(t.output, n) if n else S.TRUNCATED, 2 * S.OUTPUT_PER_TRACE),
                   "", "</details>", ""]
    if spread_line(v):
        md += [S.md_code(spread_line(v)), ""]
    for n in v.notes:
        md.append(f"> {S.md_code(n)}")
    return "\n".join(md).rstrip() + "\n"


def _md(s: str) -> str:
    return S.md_code(s)


def _pct(x):
    return "-" if x is None else f"{x:.1%}"


class GithubWriter:
    """Job summary + annotations; active only under GitHub Actions (or forced)."""

    def __init__(self, stream: TextIO | None = None, summary_path: str | None = None):
        self.stream = stream or sys.stdout
        self.summary_path = summary_path if summary_path is not None else os.environ.get("GITHUB_STEP_SUMMARY")

    def write(self, result: GradeResult) -> None:
        for line in github_annotations(result):
            self.stream.write(line + "\n")
        self.stream.flush()
        if self.summary_path:
            with open(self.summary_path, "a", encoding="utf-8") as f:
                f.write(github_summary(result))


def stop_commands_token() -> str:
    """A marker for ::stop-commands:: that the allocator cannot have guessed
    (made after it ran)."""
    return "slablab-" + secrets.token_hex(16)


def _write_text(path: str, text: str) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
    os.replace(tmp, p)
