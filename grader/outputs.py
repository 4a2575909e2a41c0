"""Machine-readable outputs: --json, Gradescope, Autolab, GitHub Actions.

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
"""
from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import TextIO

from .model import GradeResult, TraceResult

# ---------------------------------------------------------------- helpers --

def mean_util(r: GradeResult) -> float:
    """Mean utilization over the correct traces (0 when none)."""
    us = [t.util for t in r.traces if t.correct and t.util is not None]
    return statistics.fmean(us) if us else 0.0


def median_speed(r: GradeResult) -> float:
    rs = [t.speed_ratio for t in r.traces if t.correct and t.speed_ratio is not None]
    return statistics.median(rs) if rs else 0.0


def summary_lines(r: GradeResult) -> list[str]:
    """The few lines that explain a score, shared by several outputs."""
    lines = [f"Score: {r.score:g}/{r.max_score:g} -- {r.verdict}"]
    if not r.build.ok:
        lines.append(f"Build failed: {r.build.reason}")
    for d in r.build.diagnostics:
        if d.severity in ("error", "warning"):
            loc = f"{d.file}:{d.line}: " if d.file and d.line else ""
            lines.append(f"{loc}{d.severity}: {d.message}")
    for v in r.static.violations:
        cost = "score set to 0" if v.zero else f"-{v.penalty:g} points"
        loc = f"{v.file}:{v.line}: " if v.file and v.line else ""
        lines.append(f"{loc}rule {v.rule}: {v.message} ({cost})")
    for t in r.failed_traces:
        lines.append(f"{t.name}: FAIL {t.error_text}")
    spread = spread_line(r)
    if spread:
        lines.append(spread)
    lines += [f"note: {n}" for n in r.notes]
    return lines


def spread_line(r: GradeResult) -> str:
    """One line on how noisy the wall-clock timing was (every report shows it)."""
    s = r.speed.spread
    if not s.get("traces"):
        return ""
    return (f"Throughput: {r.speed.mode}; wall-clock ratio spread (max-min)/median over "
            f"{s['samples']} samples: median {s['median_rel_spread'] * 100:.0f}%, worst "
            f"{s['max_rel_spread'] * 100:.0f}% ({s['worst_trace']})")


def trace_output(t: TraceResult) -> str:
    if not t.correct:
        text = f"FAIL: {t.error_text or 'not correct'}"
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
            text += f"\npoints lost: {t.reason}"
    if t.output:
        text += "\nallocator output:\n" + t.output[:2000]
    return text


# ------------------------------------------------------------------ JSON --

class JsonWriter:
    def __init__(self, path: str):
        self.path = path

    def write(self, result: GradeResult) -> None:
        _write_text(self.path, json.dumps(result.to_dict(), indent=2) + "\n")


# ------------------------------------------------------------ Gradescope --

def gradescope_document(r: GradeResult, hidden_visibility: str = "after_due_date") -> dict:
    tests = []
    build_out = "\n".join(
        (f"{d.file}:{d.line}: " if d.file and d.line else "") + f"{d.severity}: {d.message}"
        for d in r.build.diagnostics if d.severity in ("error", "warning"))
    if r.build.ok:
        tests.append({"name": "Build", "score": 0.0, "max_score": 0.0, "status": "passed",
                      "output": build_out or "compiled without warnings", "visibility": "visible"})
    else:
        tests.append({"name": "Build", "score": 0.0, "max_score": float(r.max_score),
                      "status": "failed",
                      "output": f"The submission does not compile: {r.build.reason}\n{build_out}".strip(),
                      "visibility": "visible"})
    if r.static.ran or r.static.error:
        vs = r.static.violations
        text = "\n".join(f"rule {v.rule}: {v.message} "
                         f"({'score set to 0' if v.zero else f'-{v.penalty:g} points'})" for v in vs)
        if r.static.error:
            text = f"static checks could not run: {r.static.error}"
        tests.append({"name": "Static checks", "score": 0.0, "max_score": 0.0,
                      "status": "failed" if vs or r.static.error else "passed",
                      "output": text or "only allowed symbols; "
                                        f"{r.static.global_data_bytes} bytes of global data",
                      "visibility": "visible"})
    for i, t in enumerate(r.traces, 1):
        tests.append({
            "name": f"trace {t.name}",
            "number": str(i),
            "score": float(t.points),
            "max_score": float(t.max_points),
            "status": "passed" if t.correct else "failed",
            "output": trace_output(t),
            "visibility": hidden_visibility if t.hidden else "visible",
        })
    return {
        "score": float(r.score),
        "output": "\n".join(summary_lines(r)),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": int(round(r.elapsed_s)),
        "tests": tests,
        "leaderboard": [
            {"name": "Score", "value": float(r.score), "order": "desc"},
            {"name": "Utilization", "value": round(mean_util(r) * 100, 2), "order": "desc"},
            {"name": "Throughput", "value": round(median_speed(r), 3), "order": "desc"},
        ],
        "extra_data": {"verdict": r.verdict, "speed_mode": r.speed.mode},
    }


class GradescopeWriter:
    def __init__(self, path: str, hidden_visibility: str = "after_due_date"):
        self.path, self.hidden_visibility = path, hidden_visibility

    def write(self, result: GradeResult) -> None:
        doc = gradescope_document(result, self.hidden_visibility)
        _write_text(self.path, json.dumps(doc, indent=2) + "\n")


# --------------------------------------------------------------- Autolab --

def autolab_document(r: GradeResult) -> dict:
    util = 0.0 if r.zeroed else r.util_points
    speed = 0.0 if r.zeroed else r.speed_points
    penalties = round(r.score - util - speed, 2)     # <= 0; the three sum to the score
    return {"scores": {"Utilization": util, "Throughput": speed, "Penalties": penalties},
            "scoreboard": [r.score, round(mean_util(r) * 100, 2), round(median_speed(r), 3)]}


class AutolabWriter:
    """Prints the Autolab line; must be the last thing written to stdout."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
    last = True

    def write(self, result: GradeResult) -> None:
        self.stream.write(json.dumps(autolab_document(result), separators=(",", ":")) + "\n")
        self.stream.flush()


# ---------------------------------------------------------------- GitHub --

def _esc_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc_data(s).replace(":", "%3A").replace(",", "%2C")


def github_annotations(r: GradeResult) -> list[str]:
    """Workflow commands for compile errors/warnings and rule violations."""
    out = []

    def cmd(level, message, file=None, line=None, col=None, title=None):
        props = []
        if file:
            props.append(f"file={_esc_prop(file)}")
        if line:
            props.append(f"line={line}")
        if col:
            props.append(f"col={col}")
        if title:
            props.append(f"title={_esc_prop(title)}")
        out.append(f"::{level} {','.join(props)}::{_esc_data(message)}" if props
                   else f"::{level}::{_esc_data(message)}")

    for d in r.build.diagnostics:
        if d.severity in ("error", "warning"):
            cmd(d.severity, d.message, d.file, d.line, d.column,
                "compile error" if d.severity == "error" else "compiler warning")
    if not r.build.ok and not r.build.errors:
        cmd("error", f"build failed: {r.build.reason}", title="build failed")
    for v in r.static.violations:
        cmd("error", v.message, v.file, v.line, None, f"rule {v.rule}")
    for t in r.failed_traces:
        cmd("error", f"{t.name}: {t.error_text}", title=f"trace {t.name} failed")
    return out


def github_summary(r: GradeResult) -> str:
    md = [f"## slablab grade: {r.score:g}/{r.max_score:g}", "", f"**{r.verdict}**", ""]
    if r.traces and not r.zeroed:
        md.append(f"Utilization {r.util_points:g}/{r.util_max:g}, throughput "
                  f"{r.speed_points:g}/{r.speed_max:g} ({r.speed.mode})"
                  + (f", penalties -{r.penalty:g}" if r.penalty else "") + "")
        md.append("")
    if not r.build.ok:
        md += ["### Build failed", "", "```", r.build.output.strip()[-3000:] or r.build.reason, "```", ""]
    if r.static.violations:
        md += ["### Static checks", "", "| rule | symbol | problem | cost |", "| --- | --- | --- | --- |"]
        for v in r.static.violations:
            md.append(f"| {v.rule} | `{v.symbol}` | {_md(v.message)} | "
                      f"{'score 0' if v.zero else f'-{v.penalty:g}'} |")
        md.append("")
    if r.traces:
        md += ["### Traces", "", "| trace | result | util | ceiling | speed vs libc | points |",
               "| --- | --- | ---: | ---: | ---: | ---: |"]
        for t in r.traces:
            res = "pass" if t.correct else f"**FAIL** {_md(t.error_text)}"
            md.append(f"| {t.name}{' (hidden)' if t.hidden else ''} | {res} | "
                      f"{_pct(t.util)} | {_pct(t.ceiling)} | "
                      f"{'-' if t.speed_ratio is None else f'{t.speed_ratio:.2f}'} | "
                      f"{t.points:g}/{t.max_points:g} |")
        md.append("")
    if spread_line(r):
        md += [spread_line(r), ""]
    for n in r.notes:
        md.append(f"> {n}")
    return "\n".join(md).rstrip() + "\n"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


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


def _write_text(path: str, text: str) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)
