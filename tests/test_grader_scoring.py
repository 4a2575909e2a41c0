"""Scoring arithmetic of the grader (grader/scoring.py): thresholds, weights,
gates and penalties, on fixture data -- no compiler, no driver."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import config, scoring  # noqa: E402
from grader.model import BuildResult, GradeResult, SpeedInfo, StaticResult, TraceResult, Violation  # noqa: E402

FIXTURES = ROOT / "tests" / "grader_fixtures"

BASE = {
    "traces": {"default_weight": 1},
    "trace_weights": {"short-*": {"util": False, "speed": False}},
    "scoring": {"util_weight": 60, "speed_weight": 40, "util_mode": "ceiling",
                "util_min": 0.6, "util_max": 0.85, "correctness_penalty": 2,
                "wallclock": {"ratio_min": 0.2, "ratio_max": 0.7},
                "instructions": {"ratio_min": 0.5, "ratio_max": 1.5}},
    "static": {"penalties": {"extra-symbol": 5}},
}


def cfg(**changes):
    raw = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        node = raw
        for p in path:
            node = node.setdefault(p, {})
        node[key] = value
    return config.from_dict(raw)


def trace(name="t.rep", correct=True, util=0.9, ceiling=1.0, ratio=1.0, **kw):
    return TraceResult(name=name, correct=correct, util=util, ceiling=ceiling, ratio=ratio, **kw)


def result(traces, mode="wallclock", violations=(), build_ok=True):
    return GradeResult(submission="x.c", build=BuildResult(ok=build_ok, reason="boom"),
                       static=StaticResult(ran=True, violations=list(violations)),
                       traces=traces, speed=SpeedInfo(mode=mode))


# ---- linear ------------------------------------------------------------------------

@pytest.mark.parametrize("x,expected", [(-1, 0), (0.2, 0), (0.2000001, 0.0000002), (0.45, 0.5),
                                        (0.7, 1), (0.6999999, 0.9999998), (5, 1)])
def test_linear_is_zero_at_and_below_lo_one_at_and_above_hi(x, expected):
    assert scoring.linear(x, 0.2, 0.7) == pytest.approx(expected, abs=1e-6)


# ---- one trace: utilization edges --------------------------------------------------

@pytest.mark.parametrize("u_over_c,credit", [(0.6, 0.0), (0.59, 0.0), (0.85, 1.0), (0.99, 1.0),
                                             (0.725, 0.5)])
def test_util_credit_at_the_ceiling_mode_thresholds(u_over_c, credit):
    t = trace(util=u_over_c * 0.8, ceiling=0.8, ratio=10)
    r = scoring.finish(result([t]), cfg())
    assert t.util_credit == pytest.approx(credit)
    assert t.util_points == pytest.approx(60 * credit, abs=0.01)
    assert r.score == pytest.approx(60 * credit + 40, abs=0.01)


def test_absolute_mode_ignores_the_ceiling():
    t = trace(util=0.725, ceiling=0.75, ratio=10)
    scoring.finish(result([t]), cfg(scoring__util_mode="absolute"))
    assert t.util_credit == pytest.approx(0.5)
    t2 = trace(util=0.725, ceiling=0.75, ratio=10)
    scoring.finish(result([t2]), cfg())            # ceiling mode: 0.967 of ceiling -> full
    assert t2.util_credit == 1.0


def test_per_trace_thresholds_override_the_global_ones():
    c = config.from_dict({**BASE, "trace_weights": {"hard.rep": {"util_min": 0.3, "util_max": 0.5}}})
    hard, easy = trace("hard.rep", util=0.4, ratio=10), trace("easy.rep", util=0.4, ratio=10)
    scoring.finish(result([hard, easy]), c)
    assert hard.util_credit == pytest.approx(0.5)
    assert easy.util_credit == 0.0


# ---- one trace: throughput edges ---------------------------------------------------

@pytest.mark.parametrize("ratio,credit", [(0.2, 0.0), (0.1, 0.0), (0.45, 0.5), (0.7, 1.0), (3.0, 1.0)])
def test_speed_credit_at_the_wallclock_thresholds(ratio, credit):
    t = trace(util=1.0, ratio=ratio)
    r = scoring.finish(result([t]), cfg())
    assert t.speed_credit == pytest.approx(credit)
    assert r.speed_points == pytest.approx(40 * credit, abs=0.01)


def test_instructions_mode_uses_the_instruction_ratio_and_its_own_thresholds():
    t = trace(util=1.0, ratio=0.1, instructions={"my_alloc": 100, "libc": 100, "ratio": 1.0})
    r = scoring.finish(result([t], mode="instructions"), cfg())
    assert t.speed_ratio == 1.0
    assert t.speed_credit == pytest.approx(0.5)       # (1.0 - 0.5) / (1.5 - 0.5)
    assert (r.speed.ratio_min, r.speed.ratio_max) == (0.5, 1.5)


def test_missing_speed_measurement_gives_no_speed_credit():
    t = trace(util=1.0, ratio=None)
    r = scoring.finish(result([t]), cfg())
    assert t.speed_credit == 0.0 and r.score == 60
    assert "no throughput measured" in t.reason


def test_speed_mode_none_gives_utilization_the_whole_score():
    t = trace(util=1.0, ratio=None)
    r = scoring.finish(result([t], mode="none"), cfg())
    assert (r.util_max, r.speed_max, r.score) == (100, 0, 100)
    assert any("utilization only" in n for n in r.notes)


# ---- gates, weights, penalties -----------------------------------------------------

def test_a_failed_trace_earns_nothing_and_names_its_error():
    ok, bad = trace("a.rep", util=1.0, ratio=1.0), trace(
        "b.rep", correct=False, util=None, ratio=None,
        error={"kind": "overlap", "op": 3, "line": 9, "message": "overlaps id 1"})
    r = scoring.finish(result([ok, bad]), cfg())
    assert bad.points == 0 and bad.max_points == 50
    assert r.score == 50
    assert bad.reason.startswith("FAIL overlap (op 3, line 9)")
    assert r.verdict == "1 of 2 traces failed"


def test_weights_share_each_part_in_proportion():
    c = config.from_dict({**BASE, "trace_weights": {"big.rep": {"weight": 3},
                                                    "speedless.rep": {"speed": False}}})
    big, small, speedless = trace("big.rep"), trace("small.rep"), trace("speedless.rep")
    scoring.finish(result([big, small, speedless]), c)
    # utilization: weights 3, 1, 1 of 60; speed: weights 3, 1 of 40
    assert big.max_points == pytest.approx(36 + 30)
    assert small.max_points == pytest.approx(12 + 10)
    assert speedless.max_points == pytest.approx(12)
    assert speedless.speed_credit is None


def test_correctness_only_traces_cost_the_penalty_when_failed():
    good = trace("a.rep", util=1.0, ratio=1.0)
    short_ok = trace("short-01.rep", util=0.01, ratio=0.01)
    short_bad = trace("short-02.rep", correct=False, util=None, ratio=None,
                      error={"kind": "not-null", "op": 1, "line": 2, "message": "x"})
    r = scoring.finish(result([good, short_ok, short_bad]), cfg())
    assert short_ok.max_points == 0 and short_ok.points == 0
    assert good.max_points == 100
    assert r.penalty == 2 and r.score == 98
    assert "correctness-only" in short_bad.reason


def test_penalties_subtract_and_the_score_never_goes_below_zero():
    v = Violation("extra-symbol", "helper", "defines helper", penalty=5)
    r = scoring.finish(result([trace(util=1.0, ratio=1.0)], violations=[v]), cfg())
    assert r.score == 95 and r.penalty == 5
    weak = trace(util=0.61 * 1.0, ratio=0.21)
    r = scoring.finish(result([weak], violations=[v]), cfg())
    assert r.score == 0 and not r.zeroed


def test_a_zero_rule_sets_everything_to_zero():
    v = Violation("forbidden-call", "malloc", "uses malloc", zero=True)
    t = trace(util=1.0, ratio=1.0)
    r = scoring.finish(result([t], violations=[v]), cfg())
    assert r.score == 0 and r.zeroed and t.points == 0 and r.util_points == 0
    assert "uses malloc" in r.verdict and "forbidden-call" in r.verdict


def test_a_failed_build_scores_zero():
    r = scoring.finish(result([], build_ok=False), cfg())
    assert r.score == 0 and r.zeroed and r.verdict.startswith("does not compile")


def test_warning_penalty_counts_each_warning():
    from grader.model import Diagnostic
    r = result([trace(util=1.0, ratio=1.0)])
    r.build.diagnostics = [Diagnostic("warning", "unused variable", "x.c", 3)] * 3
    scoring.finish(r, cfg(build__warning_penalty=1.5))
    assert r.score == 95.5


# ---- the fixture document, through the library and through --rescore ---------------

def fixture_traces():
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    return [TraceResult.from_driver(d) for d in doc["traces"]]


def test_fixture_document_scores_as_computed_by_hand():
    traces = fixture_traces()
    r = scoring.finish(result(traces), cfg())
    a, b, c, short = traces
    # 3 counted traces: 20 util + 13.33 speed points each; short-* correctness only
    assert a.points == pytest.approx(33.33, abs=0.01)                  # full util, full speed
    assert b.util_points == 0 and b.speed_points == pytest.approx(8.0)  # u/c 0.5; ratio 0.5 -> 0.6
    assert c.points == 0 and short.max_points == 0
    assert r.penalty == 2
    assert r.score == pytest.approx(20 + 40 / 3 + 8 - 2, abs=0.01)


def test_rescore_command_prints_the_same_score(tmp_path):
    conf = tmp_path / "c.toml"
    conf.write_text((ROOT / "grader" / "config.toml").read_text())
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "grader", "--rescore", str(FIXTURES / "driver-mixed.json"),
                        "--config", str(conf), "--json", str(out), "--color", "never"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert f"Score: {doc['score']:g}/100" in p.stdout
    assert "c-fail.rep: overlap (op 12, line 19)" in p.stdout
