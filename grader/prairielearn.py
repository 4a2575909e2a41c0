"""PrairieLearn external-grader output: /grade/results/results.json.

Format (PrairieLearn's external grading results): top-level `gradable`
(false: the submission is invalid and uses no attempt -- no file, two files,
or an autograder failure, never a student's compile error), `score` in
[0, 1], `message` (one line), `output` (the report), `format_errors` (list of
strings, when not gradable) and `tests[]` with `name`, `description`,
`points`, `max_points`, `output`, `message`.

Invariants: score is result.score / result.max_score clamped to [0, 1]; the
tests' points sum to the score's points (within the traces' rounding;
penalties and a zeroing rule are their own test with negative points);
every text is plain text that PrairieLearn escapes when it renders, and
hidden traces never appear (their tests are named "hidden trace N" with no
output) -- PrairieLearn shows every test to the student.
"""
from __future__ import annotations

import json
import math

from .model import GradeResult
from .outputs import _write_text, summary_lines, trace_output


def _num(x) -> float:
    x = float(x or 0.0)
    return x if math.isfinite(x) else 0.0


def prairielearn_document(r: GradeResult) -> dict:
    problem = getattr(r, "ungradable", "")
    if problem:
        return {"gradable": False, "score": 0.0, "message": problem, "output": problem,
                "format_errors": [problem], "tests": []}
    tests = []
    hidden_n = 0
    for t in r.traces:
        if t.hidden:
            hidden_n += 1
            tests.append({"name": f"hidden trace {hidden_n}",
                          "description": "a trace published after the deadline",
                          "points": round(_num(t.points), 4), "max_points": round(_num(t.max_points), 4),
                          "output": "", "message": "pass" if t.correct else "failed"})
            continue
        tests.append({"name": f"trace {t.name}", "description": f"replay of {t.name}",
                      "points": round(_num(t.points), 4), "max_points": round(_num(t.max_points), 4),
                      "output": trace_output(t),
                      "message": "pass" if t.correct else (t.error_text or "failed")})
    traced = sum(_num(t.points) for t in r.traces)
    adjust = _num(r.score) - traced
    # Only a real penalty or a zeroing gets a test: the traces' points are
    # rounded, so without one the difference is rounding (|x| < 0.01 each).
    if r.penalty or r.zeroed or not r.build.ok:
        why = r.verdict if r.zeroed else f"penalties: -{_num(r.penalty):g} points"
        tests.append({"name": "build, rules and penalties", "description": "compile and static checks",
                      "points": round(adjust, 4), "max_points": 0.0 if r.build.ok else _num(r.max_score),
                      "output": "\n".join(summary_lines(r)[1:]), "message": why})
    score = _num(r.score) / _num(r.max_score) if _num(r.max_score) > 0 else 0.0
    hidden_lines = [ln for ln in summary_lines(r) if not any(t.hidden and t.name in ln for t in r.traces)]
    return {"gradable": True, "score": round(min(1.0, max(0.0, score)), 6),
            "message": f"{r.score:g}/{r.max_score:g}: {r.verdict}",
            "output": "\n".join(hidden_lines), "tests": tests}


class PrairieLearnWriter:
    def __init__(self, path: str):
        self.path = path

    def write(self, result: GradeResult) -> None:
        _write_text(self.path, json.dumps(prairielearn_document(result), indent=2) + "\n")
