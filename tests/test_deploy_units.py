"""grader/deploy.py's pure parts: finding the submitted file, the late policy,
and the platform documents for results that never reached the driver.

find_submission: the browser's `my_alloc (1).c`, any single .c name, a whole
repository uploaded (my_alloc.c at the top wins), macOS junk and symlinks
ignored, two unrelated files or none refused with the names.  Late policy:
Gradescope's ISO times with any fraction and offset; per started day; past
max_days or late_due_date, 0; on time, untouched.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from deployutil import ROOT

sys.path.insert(0, str(ROOT))
from grader import config, deploy  # noqa: E402
from grader.classroom import classroom_document  # noqa: E402
from grader.model import GradeResult  # noqa: E402
from grader.prairielearn import prairielearn_document  # noqa: E402


def tree(d: Path, files: dict) -> Path:
    for name, text in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return d


def test_find_submission(tmp_path):
    f, why = deploy.find_submission(tree(tmp_path / "a", {"my_alloc (1).c": "x"}))
    assert f.name == "my_alloc (1).c" and not why
    f, _ = deploy.find_submission(tree(tmp_path / "b", {"alloc.c": "x", "README.md": "r"}))
    assert f.name == "alloc.c"
    f, _ = deploy.find_submission(tree(tmp_path / "c", {"my_alloc.c": "x", "grader/driver/main.c": "y",
                                                         "tests/t.c": "z"}))
    assert f == tmp_path / "c" / "my_alloc.c"
    f, _ = deploy.find_submission(tree(tmp_path / "d", {"src/my_alloc_v2.c": "x", "other.c": "y"}))
    assert f.name == "my_alloc_v2.c"
    f, _ = deploy.find_submission(tree(tmp_path / "e", {"my_alloc.c": "x", "__MACOSX/._my_alloc.c": "j",
                                                         "._x.c": "j"}))
    assert f.name == "my_alloc.c"
    d = tree(tmp_path / "f", {"real.c": "x"})
    os.symlink("/etc/passwd", d / "link.c")
    f, _ = deploy.find_submission(d)
    assert f.name == "real.c"
    f, why = deploy.find_submission(tree(tmp_path / "g", {"a.c": "x", "b.c": "y"}))
    assert f is None and "more than one .c file" in why and "a.c" in why and "b.c" in why
    f, why = deploy.find_submission(tree(tmp_path / "h", {"notes.txt": "x"}))
    assert f is None and "no .c file" in why and "notes.txt" in why
    f, why = deploy.find_submission(tree(tmp_path / "i", {"my_alloc.c": "x" * (2 << 20)}))
    assert f is None and "larger than 1 MiB" in why


META = {"created_at": "2026-03-03T10:00:00.123456789-05:00",
        "assignment": {"due_date": "2026-03-01T23:59:00.000000-05:00",
                       "late_due_date": "2026-03-10T23:59:00-05:00"}}


def scored(x: float) -> GradeResult:
    r = GradeResult(submission="s", max_score=100)
    r.score = x
    return r


def test_late_policy():
    pol = config.LatePolicy(per_day_percent=10, max_days=5)
    r = scored(80)
    deploy.apply_late_policy(r, META, pol)                  # 1 day 10 h late: 2 started days
    assert r.score == 64.0 and r.late["days"] == 2 and "late by 2 day(s)" in r.notes[-1]
    r = scored(80)
    deploy.apply_late_policy(r, dict(META, created_at="2026-03-01T22:00:00Z"), pol)
    assert r.score == 80 and not r.notes                     # on time (due 04:59 UTC the next day)
    r = scored(80)
    deploy.apply_late_policy(r, dict(META, created_at="2026-03-08T10:00:00-05:00"), pol)
    assert r.score == 0                                      # past max_days
    r = scored(80)
    deploy.apply_late_policy(r, dict(META, created_at="2026-03-11T10:00:00-05:00"),
                             config.LatePolicy(per_day_percent=1, max_days=0))
    assert r.score == 0                                      # past late_due_date
    r = scored(80)
    deploy.apply_late_policy(r, META, config.LatePolicy())   # no policy configured
    assert r.score == 80
    r = scored(80)
    deploy.apply_late_policy(r, {"created_at": "garbage", "assignment": {}}, pol)
    assert r.score == 80                                     # unreadable metadata: untouched


def test_zero_results_are_valid_platform_documents():
    cfg = config.load()
    r = deploy.zero_result(cfg, "no .c file was submitted")
    pl = prairielearn_document(r)
    assert pl["gradable"] is False and pl["score"] == 0.0 and pl["format_errors"]
    cl = classroom_document(r)
    assert cl["status"] == "error" and cl["max_score"] == 100.0
    assert sum(t["score"] for t in cl["tests"]) == 0


def test_text_feedback_hides_hidden_traces():
    from grader.model import TraceResult
    from grader.terminal import render
    r = GradeResult(submission="s", max_score=100)
    r.traces = [TraceResult(name="hidden-secret.rep", path="/k/traces/hidden/hidden-secret.rep",
                            hidden=True, correct=False, output="a 17 4242",
                            error={"kind": "overlap", "op": 3, "line": 9,
                                   "message": "my_alloc(4242) for id 17 overlaps"}),
                TraceResult(name="synth-fifo.rep", correct=True, util=0.9, ceiling=1.0)]
    text = render(deploy.feedback_view(r))
    assert "secret" not in text and "4242" not in text and "hidden trace 1" in text
    # the default hidden_detail ("points") withholds the error's kind too
    assert "overlap" not in text and "synth-fifo.rep" in text
    assert r.traces[0].name == "hidden-secret.rep"          # the real result is untouched
