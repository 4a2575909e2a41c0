"""The grader's outputs against the platforms' documented formats.

Gradescope: https://gradescope-autograders.readthedocs.io/en/latest/specs/
(results.json: optional top-level score/execution_time/output/visibility/...,
tests[] with score, max_score, status passed|failed, name, number, output,
visibility; leaderboard[] with name, value, order asc|desc).
Autolab: the last line of the autograder's output is a JSON object with a
"scores" object (problem name -> number) and an optional "scoreboard" array.
GitHub Actions: workflow commands "::error file=F,line=L,title=T::message"
with %, CR, LF escaped in the message and also ':' and ',' in properties.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import config, outputs, scoring  # noqa: E402
from grader.model import (BuildResult, Diagnostic, GradeResult, SpeedInfo,  # noqa: E402
                          StaticResult, TraceResult, Violation)
from grader.terminal import render  # noqa: E402

FIXTURES = ROOT / "tests" / "grader_fixtures"

GS_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
          "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
           "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def validate_gradescope(doc):
    """Raise AssertionError unless doc follows Gradescope's results.json spec."""
    assert isinstance(doc, dict)
    assert set(doc) <= GS_TOP, set(doc) - GS_TOP
    number = (int, float)
    if "score" in doc:
        assert isinstance(doc["score"], number) and not isinstance(doc["score"], bool)
    else:
        assert all("score" in t for t in doc.get("tests", [])), "score needed at top or on every test"
    if "execution_time" in doc:
        assert isinstance(doc["execution_time"], number)
    for key in ("output", "test_output_format", "output_format", "visibility", "stdout_visibility"):
        if key in doc:
            assert isinstance(doc[key], str)
    for key in ("output_format", "test_output_format"):
        if key in doc:
            assert doc[key] in FORMATS
    for key in ("visibility", "stdout_visibility"):
        if key in doc:
            assert doc[key] in VISIBILITY
    for t in doc.get("tests", []):
        assert set(t) <= GS_TEST, set(t) - GS_TEST
        for key in ("score", "max_score"):
            if key in t:
                assert isinstance(t[key], number) and not isinstance(t[key], bool)
        if "status" in t:
            assert t["status"] in ("passed", "failed")
        for key in ("name", "number", "output"):
            if key in t:
                assert isinstance(t[key], str)
        if "visibility" in t:
            assert t["visibility"] in VISIBILITY
    for entry in doc.get("leaderboard", []):
        assert set(entry) <= {"name", "value", "order"}
        assert isinstance(entry["name"], str)
        assert isinstance(entry["value"], (int, float, str))
        if "order" in entry:
            assert entry["order"] in ("asc", "desc")
    json.dumps(doc)     # serializable (no NaN objects etc.)


def graded_fixture(**kw):
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    traces = [TraceResult.from_driver(d) for d in doc["traces"]]
    traces[1].hidden = True
    r = GradeResult(submission="students/ada/my_alloc.c", build=BuildResult(ok=True),
                    static=StaticResult(ran=True), traces=traces, speed=SpeedInfo(mode="wallclock"), **kw)
    return scoring.finish(r, config.load())


def failed_build():
    r = GradeResult(submission="bad.c", build=BuildResult(
        ok=False, reason="bad.c:4: expected ';'", output="bad.c:4:20: error: expected ';'\n",
        diagnostics=[Diagnostic("error", "expected ';' before '}' token", "bad.c", 4, 20),
                     Diagnostic("warning", "unused variable 'x'", "bad.c", 7, 3)]))
    return scoring.finish(r, config.load())


# ---- the validator itself must be able to fail ---------------------------------------

@pytest.mark.parametrize("bad", [
    {"tests": [{"name": "x", "max_score": 1}]},                     # no score anywhere
    {"score": "10"},                                                # score not a number
    {"score": 1, "tests": [{"score": 1, "status": "ok"}]},          # bad status
    {"score": 1, "visibility": "sometimes"},
    {"score": 1, "leaderboard": [{"name": "x", "value": 1, "order": "up"}]},
    {"score": 1, "colour": "red"},                                  # unknown key
])
def test_the_gradescope_validator_rejects_bad_documents(bad):
    with pytest.raises(AssertionError):
        validate_gradescope(bad)


# ---- Gradescope --------------------------------------------------------------------

def test_gradescope_document_for_a_graded_submission():
    r = graded_fixture()
    doc = outputs.gradescope_document(r, "after_due_date")
    validate_gradescope(doc)
    assert doc["score"] == r.score
    names = [t["name"] for t in doc["tests"]]
    assert names == ["Build", "Static checks", "trace a-full.rep", "hidden trace 1",
                     "trace c-fail.rep", "trace short-01.rep", "trace b-half.rep (hidden, detail)"]
    tests = {t["name"]: t for t in doc["tests"]}
    assert [tests[n]["status"] for n in names[2:6]] == ["passed", "passed", "failed", "failed"]
    # the hidden trace: pass and points visible now, its detail after the due date
    hidden, detail = tests["hidden trace 1"], tests["trace b-half.rep (hidden, detail)"]
    assert hidden["visibility"] == "visible" and detail["visibility"] == "after_due_date"
    assert hidden["output"] == f"pass: {r.traces[1].points:g}/{r.traces[1].max_points:g} points"
    assert hidden["score"] == r.traces[1].points and detail["max_score"] == 0
    assert "debug: hello" in detail["output"] and "debug: hello" not in json.dumps(
        [t for t in doc["tests"] if t["visibility"] == "visible"])
    assert "overlap" in tests["trace c-fail.rep"]["output"] and "op 12" in tests["trace c-fail.rep"]["output"]
    assert sum(t.get("max_score", 0) for t in doc["tests"]) == pytest.approx(100, abs=0.02)
    names = {e["name"] for e in doc["leaderboard"]}
    assert {"Utilization", "Throughput"} <= names


def test_gradescope_document_is_valid_when_the_build_fails():
    doc = outputs.gradescope_document(failed_build())
    validate_gradescope(doc)
    assert doc["score"] == 0
    build = doc["tests"][0]
    assert build["name"] == "Build" and build["status"] == "failed" and build["max_score"] == 100
    assert "bad.c:4: error: expected ';'" in build["output"]
    assert "does not compile" in doc["output"]


# ---- Autolab -----------------------------------------------------------------------

def test_autolab_scores_sum_to_the_score():
    r = graded_fixture()
    doc = outputs.autolab_document(r)
    assert set(doc) == {"scores", "scoreboard"}
    assert set(doc["scores"]) == {"Utilization", "Throughput", "Penalties"}
    assert sum(doc["scores"].values()) == pytest.approx(r.score, abs=0.011)
    assert doc["scores"]["Penalties"] == -2
    assert doc["scoreboard"][0] == r.score and all(isinstance(x, (int, float)) for x in doc["scoreboard"])


def test_autolab_on_a_zero():
    doc = outputs.autolab_document(failed_build())
    assert doc["scores"] == {"Utilization": 0.0, "Throughput": 0.0, "Penalties": 0.0}


def test_autolab_line_is_the_last_line_of_stdout(tmp_path):
    p = subprocess.run([sys.executable, "-m", "grader", "--rescore", str(FIXTURES / "driver-mixed.json"),
                        "--autolab", "--no-github"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    last = p.stdout.rstrip("\n").splitlines()[-1]
    doc = json.loads(last)
    assert isinstance(doc["scores"], dict) and isinstance(doc["scoreboard"], list)
    assert "Score:" in p.stdout            # the readable report comes first


# ---- GitHub Actions ----------------------------------------------------------------

def test_github_annotations_for_compile_errors_and_rules():
    r = failed_build()
    lines = outputs.github_annotations(r)
    assert lines[0] == "::error file=bad.c,line=4,col=20,title=compile error::expected ';' before '}' token"
    assert lines[1].startswith("::warning file=bad.c,line=7,col=3,title=compiler warning::")
    g = graded_fixture()
    g.static.violations = [Violation("forbidden-call", "malloc", "uses malloc, 100% wrong\nreally",
                                     zero=True, file="src/a,b.c", line=12)]
    ann = outputs.github_annotations(g)
    # a newline in a message is shown, not obeyed: one annotation, one line
    assert "::error file=src/a%2Cb.c,line=12,title=rule forbidden-call::uses malloc, 100%25 wrong\\nreally" in ann
    assert any(a.startswith("::error title=trace c-fail.rep failed::c-fail.rep: overlap") for a in ann)


def test_every_report_shows_the_wall_clock_spread():
    r = graded_fixture()
    r.speed.spread = {"traces": 2, "samples": 5, "median_rel_spread": 0.1, "max_rel_spread": 0.25,
                      "worst_trace": "a-full.rep"}
    line = "wall-clock ratio spread (max-min)/median over 5 samples: median 10%, worst 25% (a-full.rep)"
    assert line in outputs.gradescope_document(r)["output"]
    assert line in outputs.github_summary(r)
    assert "median 10.0%, worst 25.0% (a-full.rep)" in render(r)
    # a hidden trace is not named, even as the noisiest one
    r.speed.spread["worst_trace"] = "b-half.rep"
    for text in (outputs.gradescope_document(r)["output"], outputs.github_summary(r), render(r)):
        assert "(a hidden trace)" in text and "b-half" not in text


def test_github_summary_markdown(tmp_path):
    r = graded_fixture()
    md = outputs.github_summary(r)
    assert md.startswith(f"## slablab grade: {r.score:g}/100")
    assert "| trace | result | util | ceiling | speed vs libc | points |" in md
    assert ("| ` c-fail.rep ` | **FAIL** ` overlap (op 12, line 19): payload of id 3 overlaps id 1 ` |"
            in md)
    assert "| ` hidden trace 1 ` (hidden) | pass | - | - | - |" in md and "b-half" not in md
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = tmp_path / "stdout.txt"
    with open(out, "w") as f:
        outputs.GithubWriter(f, str(summary)).write(r)
    assert summary.read_text().startswith("earlier step\n## slablab grade")   # appended
    assert "::error" in out.read_text()


def test_github_outputs_switch_on_under_actions(tmp_path):
    summary = tmp_path / "s.md"
    env = {"PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    p = subprocess.run([sys.executable, "-m", "grader", "--rescore", str(FIXTURES / "driver-mixed.json")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert "::error title=trace c-fail.rep failed::" in p.stdout
    assert "## slablab grade" in summary.read_text()


# ---- --json and the terminal -------------------------------------------------------

def test_json_document_has_the_documented_fields(tmp_path):
    r = graded_fixture()
    out = tmp_path / "r.json"
    outputs.JsonWriter(str(out)).write(r)
    doc = json.loads(out.read_text())
    assert {"score", "max_score", "traces", "static", "build", "versions", "speed"} <= set(doc)
    for t in doc["traces"]:
        assert {"name", "correct", "error", "util", "ceiling", "ops_per_sec", "libc_ops_per_sec",
                "ratio", "points", "max_points"} <= set(t)
    assert doc["traces"][2]["error"]["kind"] == "overlap"


def test_terminal_report_without_colour_when_not_a_tty():
    text = render(graded_fixture())
    assert "\033[" not in text
    assert "c-fail.rep" in text and "FAIL" in text and "Score:" in text
    assert "spread" in text and "1.40..1.60" in text       # wall-clock spread per trace
