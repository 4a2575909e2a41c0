"""handout.md section 6 ("A suggested path") against a student's own allocators.

tests/student_path/step{1,2,3}-*.c implement the handout's steps 1-3, written
from handout.md, include/ and the starter alone (never from tests/allocators/
or solution/), so they check that a student who follows the handout gets the
utilization the table promises.  Each is graded once without timing
(`--no-timing`: correctness and utilization only, which do not vary between
runs); nothing here asserts a throughput number.

* Every public trace is correct -- except, for step 1, the real-program traces
  the handout names as timing out: only those may fail, each with a
  `timeout`.  Whether a slow trace finishes in 10 s depends on the machine
  (CI's finished real-clang-format.rep, a busy 2-core machine did not), so
  the test does not count the timeouts; it counts the named traces as lost
  whether or not they finished here, which is the case the table states.
* The utilization points, on the timed grade's scale (util_weight of
  grader/config.toml, 60), match the table's number for the step within
  UTIL_TOLERANCE points.  The table is parsed from handout.md, so the test
  fails when the handout drifts from what these allocators measure.
* The static checks pass with no penalty (step 3's list heads fit the
  128-byte cap).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from kitutil import run

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from grader import config as grader_config  # noqa: E402
from grader import scoring  # noqa: E402

STEPS = {1: "tests/student_path/step1-implicit.c",
         2: "tests/student_path/step2-explicit.c",
         3: "tests/student_path/step3-segregated.c"}

# The table rounds utilization to whole points ("~43/60"); utilization itself
# is deterministic, so one point either way is room for the rounding only.
UTIL_TOLERANCE = 1.0


def section_6() -> str:
    text = (ROOT / "handout.md").read_text(encoding="utf-8")
    start = text.index("\n## 6. A suggested path")
    end = text.index("\n## 7.", start)
    return text[start:end]


def table_row(step: int) -> str:
    """The 'typical score' cell of the step's row of section 6's table."""
    for line in section_6().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] == str(step):
            return cells[2]
    raise AssertionError(f"handout.md section 6: no table row for step {step}")


def table_util_points(step: int) -> float:
    """The utilization points (of 60) the table gives for the step."""
    cell = table_row(step)
    m = re.search(r"utilization ~?(\d+(?:\.\d+)?)/60", cell)
    assert m, f"handout.md section 6, step {step}: no 'utilization N/60' in {cell!r}"
    return float(m.group(1))


def table_timeouts(step: int) -> int:
    """How many real-program traces the table says time out for the step (0 if it says none)."""
    m = re.search(r"(\d+) real-program traces time out", table_row(step))
    return int(m.group(1)) if m else 0


def named_timeouts(step: int) -> set:
    """The traces section 6's text names as timing out for the step: the
    names in "real-program traces (...)" in the bullet that begins 'Step N is'."""
    text = section_6()
    start = text.find(f"\n- Step {step} is")
    if start < 0:
        return set()
    end = text.find("\n- ", start + 1)
    m = re.search(r"real-program traces\s*\(([^)]*)\)", text[start:end if end > 0 else None])
    return set(re.findall(r"`(real-[\w-]+\.rep)`", m.group(1))) if m else set()


def grade(src: str, tmp_path: Path) -> dict:
    out = tmp_path / "grade.json"
    p = run([sys.executable, "-m", "grader", src, "--no-timing", "-q", "--json", str(out),
             "--workdir", str(tmp_path / "work")], cwd=ROOT, timeout=600)
    assert out.exists(), f"the grader wrote no JSON:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return json.loads(out.read_text())


def util_points_of_60(doc: dict, lost: set = frozenset()) -> float:
    """The utilization points the timed grade would give: the credits the
    grader computed, on the config's utilization scale (60 of 100), with the
    traces in `lost` earning nothing (as when they time out)."""
    cfg = grader_config.load()
    util_max, _ = scoring.part_maxima(cfg, True, True, True)
    counted = [t for t in doc["traces"] if t["util_counted"]]
    total = sum(t["weight"] for t in counted)
    earned = sum(t["weight"] * t["util_credit"] for t in counted
                 if t["correct"] and t["util_credit"] and t["name"] not in lost)
    return util_max * earned / total


def test_the_table_has_a_row_per_step():
    assert table_timeouts(1) > 0, "section 6 no longer says how many traces step 1 times out on"
    for step in STEPS:
        assert 0 < table_util_points(step) <= 60
        assert len(named_timeouts(step)) == table_timeouts(step), (
            f"handout.md section 6, step {step}: the table says {table_timeouts(step)} traces "
            f"time out, the text names {sorted(named_timeouts(step))}")


def test_the_lost_traces_cost_what_they_earn():
    """util_points_of_60 with `lost` takes exactly the lost traces' credit away."""
    traces = [{"name": n, "util_counted": True, "weight": 1.0, "correct": True, "util_credit": c}
              for n, c in (("a", 1.0), ("b", 0.5), ("c", 1.0), ("d", 0.0))]
    doc = {"traces": traces}
    full = util_points_of_60(doc)
    assert util_points_of_60(doc, {"c"}) == pytest.approx(full * 1.5 / 2.5)
    assert util_points_of_60(doc, {"d"}) == pytest.approx(full)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_students_step_scores_what_the_table_says(step, tmp_path):
    doc = grade(STEPS[step], tmp_path)
    assert not doc["zeroed"] and doc["penalty"] == 0, (doc["static"], doc["build"])

    failed = {t["name"]: t["error"] for t in doc["traces"] if not t["correct"]}
    may_time_out = named_timeouts(step)
    assert all(name in may_time_out and (err or {}).get("kind") == "timeout"
               for name, err in failed.items()), (
        f"step {step}: only {sorted(may_time_out)} may fail, and only by timing out; "
        f"failed: {failed}")

    got = util_points_of_60(doc, lost=may_time_out)
    want = table_util_points(step)
    assert abs(got - want) <= UTIL_TOLERANCE, (
        f"step {step} ({STEPS[step]}): {got:.2f} utilization points of 60, "
        f"handout.md section 6 says {want:g} (tolerance {UTIL_TOLERANCE:g})")
