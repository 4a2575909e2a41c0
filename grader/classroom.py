"""GitHub Classroom output: the result a Classroom runner step hands to
classroom-resources/autograding-grading-reporter.

The reporter reads, for each runner id listed in its `runners` input, the
environment variable <ID>_RESULTS: base64 of a JSON document
{"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
 "tests": [{"name", "status", "score", "message", ...}]}.
It adds up the tests' `score`s against the `max_score`s, prints them, and
writes "Points X/Y" into the "Autograding Tests" check run, which is what
Classroom's dashboard shows.  So: one test per trace with its points, plus a
"build, rules and penalties" test carrying the (negative) difference, so that
the sum is exactly the grade; max_score is the config's max_score.
status: "pass" when every trace passed and nothing was broken, "error" when
the grading itself could not run, else "fail".
The workflow (deploy/classroom/classroom.yml) base64-encodes this file into
the step's `result` output.  Hidden traces never run in a student's
repository (they would be readable there).
"""
from __future__ import annotations

import json
import math

from .model import GradeResult
from .outputs import _write_text, summary_lines, trace_output


def _num(x) -> float:
    x = float(x or 0.0)
    return x if math.isfinite(x) else 0.0


def classroom_document(r: GradeResult) -> dict:
    tests = []
    for t in r.traces:
        tests.append({"name": f"trace {t.name}", "status": "pass" if t.correct else "fail",
                      "score": round(_num(t.points), 2),
                      "message": trace_output(t)[:4000], "line_no": 0, "test_code": ""})
    adjust = round(_num(r.score) - sum(round(_num(t.points), 2) for t in r.traces), 2)
    broken = not r.build.ok or r.zeroed or any(not t.correct for t in r.traces)
    if adjust or not r.build.ok:
        tests.append({"name": "build, rules and penalties", "status": "fail" if broken else "pass",
                      "score": adjust, "message": "\n".join(summary_lines(r))[:4000],
                      "line_no": 0, "test_code": ""})
    status = "error" if getattr(r, "ungradable", "") else ("fail" if broken or not r.traces else "pass")
    return {"version": 1, "status": status, "max_score": _num(r.max_score), "tests": tests}


class ClassroomWriter:
    def __init__(self, path: str):
        self.path = path

    def write(self, result: GradeResult) -> None:
        _write_text(self.path, json.dumps(classroom_document(result)) + "\n")
