"""Issue 11, categories 5, 8 and 9: numbers, output escaping, hidden traces.

  * numbers: a driver document with a NaN, an infinity, a negative, an
    above-ceiling or absurdly large value, a wrong type, or ops that are not
    the trace's, fed to the grader's own parser (model.parse_driver_json,
    TraceResult.from_driver, the runner, --rescore), makes that trace
    "tamper" and never a score; every JSON we write is strict;
  * escaping: the allocator's output (and diagnostics, symbol and file
    names) with ANSI escapes, GitHub workflow commands, Markdown/HTML that
    tries to close our fences, a 1 MB flood and fake "Score: 100/100" lines,
    rendered by each real output function, asserted as exact text;
  * hidden traces: a failing hidden trace's name, op, line, request,
    message and output appear in no student-visible output of any platform,
    for every hidden_detail, and the staff outputs keep them.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "traces"))

import gen  # noqa: E402
from grader import batch, config, outputs, runner, safetext, scoring  # noqa: E402
from grader.html_report import HtmlWriter  # noqa: E402
from grader.model import (BuildResult, Diagnostic, GradeResult, SpeedInfo,  # noqa: E402
                          StaticResult, TraceResult, Violation, parse_driver_json)
from grader.terminal import render  # noqa: E402

FIXTURES = ROOT / "tests" / "grader_fixtures"


def strict_loads(text):
    """JSON as the spec has it: a bare NaN/Infinity is an error."""
    def bad(c):
        raise ValueError(f"non-JSON constant {c}")
    return json.loads(text, parse_constant=bad)


def good_entry(**kw):
    d = {"name": "t.rep", "path": "traces/t.rep", "correct": True, "error": None,
         "ops": 1000, "peak_payload": 90000, "heap_size": 100000, "util": 0.9, "ceiling": 0.95,
         "ops_per_sec": 3.0e7, "ops_per_sec_min": 2.9e7, "ops_per_sec_max": 3.1e7,
         "libc_ops_per_sec": 2.0e7, "libc_ops_per_sec_min": 1.9e7, "libc_ops_per_sec_max": 2.1e7,
         "ratio": 1.5, "ratio_min": 1.4, "ratio_max": 1.6, "samples": 5,
         "checked_ops_per_sec": 3e6, "output": ""}
    d.update(kw)
    return d


def finish(traces, **kw):
    r = GradeResult(submission="s.c", build=BuildResult(ok=True), static=StaticResult(ran=True),
                    traces=traces, speed=SpeedInfo(mode="wallclock"), **kw)
    return scoring.finish(r, kw.pop("cfg", None) or config.load())


# =============================================================== 5. numbers ==

def test_a_valid_entry_is_scored():
    t = TraceResult.from_driver(good_entry(), expected_ops=1000)
    assert t.correct and t.error is None and t.util == 0.9
    r = finish([t])
    assert r.score > 0 and r.traces[0].points == r.traces[0].max_points


def test_a_noisy_short_trace_spread_is_a_measurement_not_tamper():
    # seen from the reference on a 10-op trace: one sample's libc run was
    # preempted, ratio_max 15218.8 -- honest noise, not an impossible number
    e = good_entry(ratio=1008.5, ratio_min=0.01, ratio_max=15218.8,
                   ops_per_sec=2e9, ops_per_sec_max=5e9)
    t = TraceResult.from_driver(e, expected_ops=1000)
    assert t.correct and t.error is None and t.ratio_max == 15218.8


@pytest.mark.parametrize("text, field", [
    ('"util": NaN', "util = NaN is not a finite number"),
    ('"util": Infinity', "util = Infinity is not a finite number"),
    ('"ratio": -Infinity', "ratio = -Infinity is not a finite number"),
    ('"ceiling": NaN', "ceiling = NaN is not a finite number"),
])
def test_bare_nan_and_infinity_in_the_driver_text_are_tamper(text, field):
    doc_text = json.dumps({"traces": [good_entry()]})
    key = text.split(":")[0]
    doc_text = re.sub(key + r': [^,]+', text, doc_text, count=1)
    assert text in doc_text
    doc = parse_driver_json(doc_text)
    t = TraceResult.from_driver(doc["traces"][0])
    assert not t.correct and t.error["kind"] == "tamper"
    assert t.error["message"] == ("the driver's report for this trace is not a valid measurement "
                                  f"({field}); not scored")
    r = finish([t])
    assert r.score == 0 and r.traces[0].points == 0
    strict_loads(outputs.dumps(r.to_dict()))


@pytest.mark.parametrize("change, problem", [
    ({"util": float("nan")}, "util = nan is not a finite number"),
    ({"util": -0.5}, "util = -0.5 is out of range (0, 1]"),
    ({"util": 0.99, "peak_payload": 99000}, "util = 0.99 is above the trace's ceiling 0.95"),
    ({"util": 1e308}, "util = 1e+308 is out of range (0, 1]"),
    ({"ceiling": 1.5}, "ceiling = 1.5 is out of range (0, 1]"),
    ({"util": "0.9"}, "util = '0.9' is not a number"),
    ({"util": True}, "util = True is not a number"),
    ({"ops": 1000.5}, "ops = 1000.5 is not an integer"),
    ({"ops": "1000"}, "ops = '1000' is not a number"),
    ({"heap_size": -100000}, "heap_size = -100000 is out of range [0, 281474976710656]"),
    ({"correct": "yes"}, "correct = 'yes' is not true or false"),
    ({"ratio": 0}, "ratio = 0 is out of range (0, 1e+07]"),
    ({"ratio": 1e9, "ratio_max": 1e9}, "ratio = 1e+09 is out of range (0, 1e+07]"),
    ({"ops_per_sec": 1e300, "ops_per_sec_max": 1e300}, "ops_per_sec = 1e+300 is out of range (0, 1e+10]"),
    ({"ratio_min": 2.0}, "ratio_min = 2 is above ratio = 1.5"),
    ({"util": 0.5}, "util = 0.5 is not peak_payload / heap_size = 0.9"),
    ({"peak_payload": 200000, "util": 0.9}, "util = 0.9 is not peak_payload / heap_size = 2"),
    ({"samples": 10 ** 9}, "samples = 1000000000 is out of range [0, 1000]"),
    ({"samples": 0}, "a throughput ratio without timing samples"),
    ({"error": {"kind": "overlap"}}, "a correct trace has an error"),
    ({"correct": False, "error": None}, "a failed trace has no error object"),
    ({"ops": 999}, "ops = 999 but the trace has 1000 requests"),
    ({"output": ["x"]}, "output is not a string"),
])
def test_impossible_numbers_and_wrong_types_are_tamper_never_a_score(change, problem):
    t = TraceResult.from_driver(good_entry(**change), expected_ops=1000)
    assert not t.correct and t.error["kind"] == "tamper"
    assert f"({problem}); not scored" in t.error["message"]
    assert t.util is None and t.ratio is None and t.ops is None      # no number kept
    r = finish([t, TraceResult.from_driver(good_entry(name="ok.rep"))])
    assert r.traces[0].points == 0 and r.traces[1].points > 0
    assert r.verdict == "1 of 2 traces failed"
    strict_loads(outputs.dumps(r.to_dict()))


def test_scoring_refuses_non_finite_numbers_whatever_built_the_trace():
    # max(0, min(100, NaN)) is 100 in Python: no unchecked number may get there
    assert max(0, min(100, float("nan"))) == 100
    for bad in (float("nan"), float("inf"), 1.7, -0.1):
        t = TraceResult(name="x.rep", correct=True, util=bad, ceiling=0.95, ratio=1.0)
        r = finish([t])
        assert not r.traces[0].correct and r.traces[0].error["kind"] == "tamper", bad
        assert r.score == 0 and r.traces[0].points == 0
        strict_loads(outputs.dumps(r.to_dict()))
    t = TraceResult(name="x.rep", correct=True, util=0.9, ceiling=0.95, ratio=float("nan"))
    r = finish([t])
    assert r.traces[0].error["kind"] == "tamper" and r.score == 0
    t = TraceResult(name="x.rep", correct=True, util=0.9, ceiling=0.95,
                    instructions={"ratio": float("inf")})
    r = GradeResult(submission="s", build=BuildResult(ok=True), traces=[t],
                    speed=SpeedInfo(mode="instructions"))
    scoring.finish(r, config.load())
    assert r.traces[0].error["kind"] == "tamper" and r.traces[0].instructions is None
    with pytest.raises(ValueError):
        scoring.linear(float("nan"), 0.5, 0.8)


def test_the_runner_turns_a_bare_nan_from_the_driver_into_tamper(tmp_path):
    trace = tmp_path / "t.rep"
    trace.write_text("a 0 16\nf 0\n")
    entry = good_entry(name="t.rep", path=str(trace), ops=2, peak_payload=16, heap_size=16,
                       util=1.0, ceiling=1.0)
    text = json.dumps({"version": 1, "traces": [entry]}).replace('"util": 1.0', '"util": NaN')
    fake = tmp_path / "driver"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({text!r})\n")
    fake.chmod(0o755)
    run = runner.run_driver(str(fake), [runner.TraceSpec(trace)], timeout_s=5, samples=1, timing=True)
    assert len(run.traces) == 1 and run.traces[0].error["kind"] == "tamper"
    assert "util = NaN is not a finite number" in run.traces[0].error["message"]
    # ops must be the trace's: the same document claiming 3 requests is tamper too
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"sys.stdout.write({json.dumps({'traces': [dict(entry, ops=3)]})!r})\n")
    run = runner.run_driver(str(fake), [runner.TraceSpec(trace)], timeout_s=5, samples=1, timing=True)
    assert "ops = 3 but the trace has 2 requests" in run.traces[0].error["message"]
    # and it must be about the trace that was asked for
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"sys.stdout.write({json.dumps({'traces': [dict(entry, name='other.rep')]})!r})\n")
    run = runner.run_driver(str(fake), [runner.TraceSpec(trace)], timeout_s=5, samples=1, timing=True)
    assert "it names trace 'other.rep', not t.rep" in run.traces[0].error["message"]


def test_rescore_of_a_nan_document_writes_strict_json_everywhere(tmp_path):
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    doc["traces"][0]["util"] = float("nan")          # json.dumps writes a bare NaN
    doc["traces"][1]["ratio"] = float("inf")
    src = tmp_path / "doc.json"
    src.write_text(json.dumps(doc))
    assert "NaN" in src.read_text() and "Infinity" in src.read_text()
    out, gs = tmp_path / "r.json", tmp_path / "results.json"
    p = subprocess.run([sys.executable, "-m", "grader", "--rescore", str(src), "--json", str(out),
                        "--gradescope", str(gs), "--autolab", "--no-github"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    res = strict_loads(out.read_text())
    strict_loads(gs.read_text())
    strict_loads(p.stdout.rstrip("\n").splitlines()[-1])
    kinds = [t["error"]["kind"] if t["error"] else None for t in res["traces"]]
    assert kinds[:2] == ["tamper", "tamper"]
    assert res["traces"][0]["points"] == 0 and res["traces"][1]["points"] == 0


# ============================================================= 8. escaping ==

EVIL = ("hello\n"
        "\x1b[2J\x1b[31mred\x1b[0m\n"
        "::error::pwned\n"
        "  ::add-mask::secret\n"
        "##[error]legacy\n"
        "Score: 100/100\n"
        "\rover\u202eevil\n"
        "</details><img src=x onerror=alert(1)>[link](http://evil.example)\n"
        "````\n")


def evil_result(**kw):
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    traces = [TraceResult.from_driver(d) for d in doc["traces"]]
    traces[2].output = EVIL          # c-fail.rep, a failed public trace
    traces[2].error["message"] = "payload overlaps\nScore: 100/100 \x1b[32m"
    r = GradeResult(submission="students/::error::x/\x1b[1mmy_alloc.c", build=BuildResult(
        ok=True, diagnostics=[Diagnostic("warning", "unused `x` | \x1b[5m<b>", "::warning::f.c", 3, 1)]),
        static=StaticResult(ran=True, violations=[Violation(
            "extra-symbol", "evil|`sym`\n::error::", "defines evil|`sym`\n::error::", 5.0, False)]),
        traces=traces, speed=SpeedInfo(mode="wallclock"), **kw)
    return scoring.finish(r, config.load())


QUOTED = [
    "| hello",
    "| \\x1b[2J\\x1b[31mred\\x1b[0m",
    "| ::error::pwned",
    "|   ::add-mask::secret",
    "| ##\\[error]legacy",
    "| Score: 100/100",
    "| \\roverevil".replace("evil", "\\u202eevil"),
    "| </details><img src=x onerror=alert(1)>[link](http://evil.example)",
    "| ````",
]


def no_workflow_command(text):
    """No line GitHub's runner would take for a command (it trims leading
    blanks before looking for '::'; the legacy '##[' counts anywhere)."""
    for ln in text.split("\n"):
        assert not ln.lstrip().startswith("::"), ln
        assert "##[" not in ln, ln


def test_safetext_primitives():
    assert safetext.clean("a\x1b[31mb\x07\x7f\x9b\u202e\u200b\ud800") == \
        "a\\x1b[31mb\\x07\\x7f\\x9b\\u202e\\u200b\\ud800"
    assert safetext.line("a\nb\tc\r\nd") == "a\\nb\\tc\\nd"
    assert safetext.line("x" * 600) == "x" * 500 + " [truncated]"
    assert safetext.block("a\n::b") == "| a\n| ::b"
    assert safetext.gh_data("50%\nx") == "50%25\\nx".replace("\\n", "\n").replace("\n", "%0A")
    assert safetext.gh_prop("a:b,c") == "a%3Ab%2Cc"
    assert safetext.md_code("a`b|c") == "`` a`b\\|c ``"
    assert safetext.md_fence("x\n```\ny") == "````text\nx\n```\ny\n````"


def test_terminal_report_quotes_the_allocator_output_and_escapes_every_name():
    r = evil_result()
    text = render(r, verbose=True)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    no_workflow_command(text)
    lines = text.split("\n")
    start = lines.index("    allocator output (%d characters; its own text, not the grader's):" % len(EVIL))
    assert lines[start + 1:start + 1 + len(QUOTED)] == ["    " + q for q in QUOTED]
    # the only line that starts like the grader's score line is the grader's
    assert [ln for ln in lines if ln.startswith("Score:")] == [f"Score: {r.score:g}/100  "
                                                               f"(utilization {r.util_points:g}/60, "
                                                               f"throughput {r.speed_points:g}/40, "
                                                               f"penalties -{r.penalty:g})"]
    assert ("  c-fail.rep: overlap (op 12, line 19): payload overlaps\\nScore: 100/100 \\x1b[32m"
            in lines)
    assert "slablab grader: students/::error::x/\\x1b[1mmy_alloc.c" in lines
    # a file name that would make the line a workflow command is defused
    assert "  \\x3a:warning::f.c:3: warning: unused `x` | \\x1b[5m<b>" in lines
    assert "  rule extra-symbol: defines evil|`sym`\\n::error:: (-5 points)" in lines


def test_terminal_under_github_actions_is_wrapped_in_stop_commands(tmp_path, monkeypatch):
    import io
    from grader.terminal import TerminalWriter
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    buf = io.StringIO()
    TerminalWriter(buf, color=False, verbose=True).write(evil_result())
    lines = buf.getvalue().split("\n")
    m = re.fullmatch(r"::stop-commands::(slablab-[0-9a-f]{32})", lines[0])
    assert m and lines[-2] == f"::{m.group(1)}::" and lines[-1] == ""
    assert m.group(1) not in "\n".join(lines[1:-2])


def test_github_annotations_are_one_escaped_line_each():
    ann = outputs.github_annotations(evil_result())
    assert ann[0] == ("::warning file=%3A%3Awarning%3A%3Af.c,line=3,col=1,title=compiler warning::"
                      "unused `x` | \\x1b[5m<b>")
    assert ann[1] == "::error title=rule extra-symbol::defines evil|`sym`\\n::error::"
    assert ("::error title=trace c-fail.rep failed::c-fail.rep: overlap (op 12, line 19): "
            "payload overlaps\\nScore: 100/100 \\x1b[32m") in ann
    for a in ann:
        assert "\n" not in a and "\r" not in a and "\x1b" not in a


def test_github_summary_fences_the_output_so_it_cannot_close_the_fence_or_inject_html():
    md = outputs.github_summary(evil_result())
    assert "\x1b" not in md
    block = ("<details><summary>allocator output of ` c-fail.rep ` (the allocator's own text, "
             "not the grader's)</summary>\n\n"
             "`````text\n" + "\n".join(QUOTED) + "\n`````\n\n</details>")
    assert block in md
    # outside that fence, no raw HTML or link from the submission
    outside = md.replace(block, "")
    assert "<img" not in outside and "](http" not in outside and "</details>" not in outside
    assert "| ` extra-symbol ` | `` evil\\|`sym`\\n::error:: `` | `` defines evil\\|`sym`\\n::error:: `` | -5 |" in md
    assert "**Verdict:** ` 2 of 4 traces failed; 7 points of penalties `" in md


def test_html_report_escapes_the_output():
    r = evil_result()
    d = Path(os.environ.get("TMPDIR", "/tmp")) / f"slablab-html-{os.getpid()}"
    HtmlWriter(str(d), stream=open(os.devnull, "w")).write(r)
    page = (d / "index.html").read_text()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/details&gt;&lt;img" in page


def test_gradescope_and_autolab_show_the_output_quoted_and_strict():
    r = evil_result()
    doc = outputs.gradescope_document(r)
    text = outputs.dumps(doc)
    strict_loads(text)
    test = next(t for t in doc["tests"] if t["name"] == "trace c-fail.rep")
    assert test["output"] == ("FAIL: overlap (op 12, line 19): payload overlaps\\nScore: 100/100 \\x1b[32m\n"
                              f"allocator output ({len(EVIL)} characters; its own text, not the grader's):\n"
                              + "\n".join(QUOTED))
    for line in doc["output"].split("\n"):
        assert "\x1b" not in line
    assert [ln for ln in doc["output"].split("\n") if ln.startswith("Score:")] == \
        [f"Score: {r.score:g}/100 -- 2 of 4 traces failed; 7 points of penalties"]
    al = outputs.autolab_document(r)
    assert set(al) == {"scores", "scoreboard"}


def test_a_megabyte_flood_is_capped_per_trace_and_per_report():
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    entries = []
    for i in range(40):
        e = dict(doc["traces"][2], name=f"f{i:02}.rep", output="Score: 100/100\n" * 70000)  # ~1 MB
        entries.append(e)
    traces = [TraceResult.from_driver(e) for e in entries]
    assert all(len(t.output) < safetext.OUTPUT_PER_TRACE + 100 for t in traces)   # kept: 4 KiB
    r = finish(traces)
    text = render(r, verbose=True)
    quoted = [ln for ln in text.split("\n") if ln.lstrip().startswith("| ")]
    assert sum(len(q.lstrip()) - 2 for q in quoted) <= safetext.OUTPUT_TOTAL + 41 * 200
    assert "used up" in text and "[truncated]" in text
    gs = outputs.dumps(outputs.gradescope_document(r))
    assert len(gs) < 3 * safetext.OUTPUT_TOTAL
    md = outputs.github_summary(r)
    assert len(md) < 3 * safetext.OUTPUT_TOTAL
    one = outputs.trace_output(r.traces[0])
    assert one.count("| Score: 100/100") == safetext.OUTPUT_PER_TRACE // 15 + 1 or \
        one.count("| Score: 100/100") == safetext.OUTPUT_PER_TRACE // 15
    assert one.endswith("[truncated] (%d characters, %d shown)" % (len(r.traces[0].output),
                                                                    safetext.OUTPUT_PER_TRACE))


# ====================================================== 9. hidden traces ==

SECRETS = ["hidden-secretname", "4242", "4343", "31337", "HIDDEN-OUTPUT-xyz", "overlaps id 555",
           "traces/hidden", "0.6789", "overlap"]


def hidden_result(detail="points", visibility="after_due_date"):
    doc = json.loads((FIXTURES / "driver-mixed.json").read_text())
    traces = [TraceResult.from_driver(d) for d in doc["traces"][:2]]   # public: a-full, b-half
    bad = TraceResult.from_driver({
        "name": "hidden-secretname.rep", "path": "traces/hidden/hidden-secretname.rep",
        "correct": False, "error": {"kind": "overlap", "op": 4242, "line": 4343,
                                    "message": "payload of id 777 (a 777 31337) overlaps id 555"},
        "ops": 5000, "peak_payload": 6789, "heap_size": None, "util": None, "ceiling": 0.6789,
        "output": "HIDDEN-OUTPUT-xyz\n"}, hidden=True)
    good = TraceResult.from_driver(good_entry(name="hidden-other.rep", path="traces/hidden/hidden-other.rep",
                                              output="HIDDEN-OUTPUT-xyz too"), hidden=True)
    cfg = config.from_dict({"traces": {"hidden_detail": detail, "hidden_visibility": visibility}})
    r = GradeResult(submission="s.c", build=BuildResult(ok=True), static=StaticResult(ran=True),
                    traces=traces + [bad, good], speed=SpeedInfo(mode="wallclock"),
                    notes=["failure hook x failed on hidden-secretname.rep: boom"])
    r.speed.spread = {"traces": 3, "samples": 5, "median_rel_spread": 0.1, "max_rel_spread": 0.3,
                      "worst_trace": "hidden-other.rep"}
    return scoring.finish(r, cfg)


def student_visible_texts(r, tmp_path):
    """Every student-visible output of every platform, by name."""
    import io
    from grader.terminal import TerminalWriter
    out = {"terminal": render(r, verbose=True)}
    buf = io.StringIO()
    TerminalWriter(buf, color=False, verbose=True).write(r)
    out["terminal writer"] = buf.getvalue()
    gs = outputs.gradescope_document(r)
    out["gradescope output"] = gs["output"]
    out["gradescope visible tests"] = json.dumps([t for t in gs["tests"] if t["visibility"] == "visible"])
    out["gradescope leaderboard"] = json.dumps(gs["leaderboard"]) + json.dumps(gs["extra_data"])
    out["autolab"] = json.dumps(outputs.autolab_document(r))
    out["github annotations"] = "\n".join(outputs.github_annotations(r))
    out["github summary"] = outputs.github_summary(r)
    HtmlWriter(str(tmp_path / "html"), stream=io.StringIO()).write(r)
    out["html"] = (tmp_path / "html" / "index.html").read_text()
    outputs.write_student_reports(tmp_path, "ada", r)
    out["batch txt"] = (tmp_path / "ada.txt").read_text()
    out["batch json"] = (tmp_path / "ada.json").read_text()
    return out


@pytest.mark.parametrize("detail", ["points", "pass_fail", "none"])
def test_a_failing_hidden_trace_leaks_nothing_into_any_student_output(detail, tmp_path):
    r = hidden_result(detail)
    assert r.traces[2].error["op"] == 4242            # the staff result keeps it all
    texts = student_visible_texts(r, tmp_path)
    for where, text in texts.items():
        for s in SECRETS:
            assert s not in text, (detail, where, s)
    hidden_tests = [t for t in outputs.gradescope_document(r)["tests"] if t["name"].startswith("hidden")]
    if detail == "none":
        assert hidden_tests == []
        assert "hidden trace 1" not in texts["terminal"]
        assert "all 2 public traces correct; hidden traces are graded and not shown" in texts["terminal"]
    else:
        assert [t["status"] for t in hidden_tests] == ["failed", "passed"]
        assert ("score" in hidden_tests[1]) == (detail == "points")
        assert "hidden trace 1 (hidden)" in texts["terminal"] and "hidden trace 2 (hidden)" in texts["terminal"]
    if detail == "points":
        assert hidden_tests[1]["output"] == f"pass: {r.traces[3].points:g}/{r.traces[3].max_points:g} points"
    # the detail is there for after the due date, and in the staff --json
    gs = outputs.gradescope_document(r)
    late = [t for t in gs["tests"] if t["visibility"] == "after_due_date"]
    assert [t["name"] for t in late] == ["trace hidden-secretname.rep (hidden, detail)",
                                         "trace hidden-other.rep (hidden, detail)"]
    assert "op 4242, line 4343" in late[0]["output"] and "HIDDEN-OUTPUT-xyz" in late[0]["output"]
    assert sum(t.get("max_score", 0) for t in gs["tests"]) == pytest.approx(100, abs=0.02)
    staff = outputs.dumps(r.to_dict())
    assert "4242" in staff and "HIDDEN-OUTPUT-xyz" in staff
    ta = render(r, verbose=True, staff=True)
    assert "hidden-secretname.rep: overlap (op 4242, line 4343)" in ta and "| HIDDEN-OUTPUT-xyz" in ta


def test_hidden_visibility_visible_writes_no_detail_test_and_full_releases(tmp_path):
    r = hidden_result("points", "visible")
    gs = outputs.gradescope_document(r)
    assert all("4242" not in t["output"] for t in gs["tests"])
    assert not any("detail" in t["name"] for t in gs["tests"])
    released = hidden_result("full")
    text = render(released)
    assert "hidden-secretname.rep (hidden)" in text and "op 4242, line 4343" in text


def test_batch_reports_are_student_views_and_the_gradebook_keeps_the_detail(tmp_path):
    r = hidden_result("points")
    r.student = "ada"
    batch._write_reports(tmp_path, "ada", r)
    for name in ("ada.txt", "ada.json"):
        text = (tmp_path / name).read_text()
        assert "4242" not in text and "hidden-secretname" not in text and "HIDDEN-OUTPUT" not in text
    strict_loads((tmp_path / "ada.json").read_text())
    batch.write_details(tmp_path / "details.csv", [r])     # the TAs' per-trace detail
    assert "hidden-secretname.rep: overlap" in (tmp_path / "details.csv").read_text()


LEAKY = r"""/* prints every request, and misaligns one size: the trace that has it fails */
#include <stdio.h>
#include <stdint.h>
#include "memlib.h"
#include "my_alloc.h"
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { return mem_sbrk((intptr_t)size); }
void *my_alloc(size_t size)
{
    if (size == 0) return NULL;
    printf("LEAKED request %zu\n", size);
    char *p = mem_sbrk((intptr_t)((size + 15) & ~(size_t)15) + 16);
    if (p == (void *)-1 || p == NULL) return NULL;
    return size == 31337 ? p + 1 : p;
}
void my_free(void *ptr) { (void)ptr; }
"""


def test_the_grader_on_a_submission_with_a_hidden_dir_leaks_nothing(tmp_path):
    pub, hid = tmp_path / "public", tmp_path / "hidden"
    pub.mkdir()
    hid.mkdir()
    (pub / "p.rep").write_text("a 0 16\nf 0\n")
    (hid / "hidden-zebra.rep").write_text("a 0 48\na 1 31337\nf 0\nf 1\n")
    cfg = tmp_path / "config.toml"
    base = (ROOT / "grader" / "config.toml").read_text()
    base = base.replace('public_dir = "traces"', f'public_dir = "{pub}"')
    base = base.replace('hidden_dir = "traces/hidden"', f'hidden_dir = "{hid}"')
    cfg.write_text(base)
    sub = tmp_path / "leaky.c"
    sub.write_text(LEAKY)
    gs, js = tmp_path / "results.json", tmp_path / "staff.json"
    summary = tmp_path / "summary.md"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary)}
    p = subprocess.run([sys.executable, "-m", "grader", str(sub), "--config", str(cfg), "--no-timing",
                        "--workdir", str(tmp_path / "work"), "--gradescope", str(gs), "--json", str(js),
                        "--autolab", "-v"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    staff = strict_loads(js.read_text())
    failed = [t for t in staff["traces"] if not t["correct"]]
    assert [t["name"] for t in failed] == ["hidden-zebra.rep"] and failed[0]["hidden"]
    assert failed[0]["error"]["op"] == 1 and "LEAKED request 31337" in failed[0]["output"]
    doc = strict_loads(gs.read_text())
    visible = doc["output"] + json.dumps([t for t in doc["tests"] if t["visibility"] == "visible"])
    for text in (p.stdout, visible, summary.read_text()):
        for s in ("zebra", "31337", "LEAKED request 48", str(hid)):
            assert s not in text
    assert "hidden trace 1 (hidden)    FAIL" in p.stdout
    assert "  hidden trace 1: hidden: no detail before release" in p.stdout
    assert "LEAKED request 16" in staff["traces"][0]["output"]
    assert json.loads(p.stdout.rstrip("\n").splitlines()[-1])["scores"]


# =============================================== 4. hidden-trace generator ==

def test_hidden_seeds_come_from_the_secret_and_are_unrelated():
    a = [gen.hidden_seed(b"s3cret-one-0123456789", gen.hidden_name(p)) for p, _, _ in gen.PUBLIC]
    b = [gen.hidden_seed(b"s3cret-one-012345678A", gen.hidden_name(p)) for p, _, _ in gen.PUBLIC]
    assert len(set(a)) == len(a) and not set(a) & set(b)
    assert a == [gen.hidden_seed(b"s3cret-one-0123456789", gen.hidden_name(p)) for p, _, _ in gen.PUBLIC]
    # no arithmetic link: the old scheme was seed * 1000 + k
    diffs = {x - y for x, y in zip(a[1:], a)}
    assert len(diffs) == len(a) - 1
    assert all(x >= 2 ** 40 or x != a[0] + i for i, x in enumerate(a))


def test_hidden_set_holds_no_secret_seed_or_command_and_is_reproducible(tmp_path):
    secret = "correct-horse-battery-staple-42"
    res = subprocess.run(["make", "-s", "-C", str(ROOT), "hidden-traces", f"SECRET={secret}",
                          f"HIDDEN_DIR={tmp_path / 'a'}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert secret not in res.stdout + res.stderr           # make does not echo it
    env = dict(os.environ, SLABLAB_HIDDEN_SECRET=secret)
    subprocess.run([sys.executable, str(ROOT / "traces" / "gen.py"), "--hidden", str(tmp_path / "b")],
                   env=env, check=True, capture_output=True)
    sf = tmp_path / "secret.txt"
    sf.write_text(secret + "\n")
    subprocess.run([sys.executable, str(ROOT / "traces" / "gen.py"), "--hidden", str(tmp_path / "c"),
                    "--secret-file", str(sf)], check=True, capture_output=True)
    files = sorted((tmp_path / "a").glob("*.rep"))
    assert len(files) == len(gen.PUBLIC)
    for f in files:
        text = f.read_text()
        comments = "\n".join(ln for ln in text.splitlines() if ln.startswith("#"))
        for bad in ("gen.py", "seed", "--", secret, "generated"):
            assert bad not in comments, (f.name, bad)
        seed = gen.hidden_seed(secret.encode(), f.stem)
        assert str(seed) not in text
        assert text == (tmp_path / "b" / f.name).read_text() == (tmp_path / "c" / f.name).read_text()
    # SEED= is an alias of SECRET=, and a short secret draws a warning
    res = subprocess.run(["make", "-s", "-C", str(ROOT), "hidden-traces", "SEED=4242",
                          f"HIDDEN_DIR={tmp_path / 'd'}"], capture_output=True, text=True)
    assert res.returncode == 0 and "can be guessed" in res.stderr
    same = subprocess.run(["make", "-s", "-C", str(ROOT), "hidden-traces", "SECRET=4242",
                           f"HIDDEN_DIR={tmp_path / 'e'}"], capture_output=True, text=True)
    assert same.returncode == 0
    for f in (tmp_path / "d").glob("*.rep"):
        assert f.read_text() == (tmp_path / "e" / f.name).read_text()
        assert f.read_text() != (tmp_path / "a" / f.name).read_text()


# ======================================= 8. escaping, end to end on a submission ==

NOISY = r"""/* prints text that imitates the grader and GitHub, then misaligns size 31337 */
#include <stdio.h>
#include <stdint.h>
#include "memlib.h"
#include "my_alloc.h"
static int said;
int my_init(void) { said = 0; return 0; }
void *allocate_slab(size_t size) { return mem_sbrk((intptr_t)size); }
void *my_alloc(size_t size)
{
    if (size == 0) return NULL;
    if (!said) {
        said = 1;
        printf("\033[2J\033[31mRED\n::error::pwned\n  ::add-mask::x\nScore: 100/100\n##[error]legacy\n"
               "\342\200\256rlo\n{\"scores\":{\"Utilization\":100}}\n");
    }
    char *p = mem_sbrk((intptr_t)((size + 15) & ~(size_t)15));
    if (p == (void *)-1 || p == NULL) return NULL;
    return size == 31337 ? p + 1 : p;
}
void my_free(void *ptr) { (void)ptr; }
"""

NOISY_QUOTED = ["    | \\x1b[2J\\x1b[31mRED", "    | ::error::pwned", "    |   ::add-mask::x",
                "    | Score: 100/100", "    | ##\\[error]legacy", "    | \u00e2\\x80\u00aerlo",
                '    | {"scores":{"Utilization":100}}']


def test_a_noisy_submission_through_the_real_grader_on_every_output(tmp_path):
    trace = tmp_path / "noisy.rep"
    trace.write_text("a 0 48\na 1 31337\nf 0\nf 1\n")
    sub = tmp_path / "noisy.c"
    sub.write_text(NOISY)
    gs, summary, html = tmp_path / "results.json", tmp_path / "summary.md", tmp_path / "html"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary)}
    p = subprocess.run([sys.executable, "-m", "grader", str(sub), "-f", str(trace), "--no-timing", "-v",
                        "--workdir", str(tmp_path / "work"), "--gradescope", str(gs), "--html", str(html),
                        "--autolab"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert "\x1b" not in p.stdout
    start = lines.index("    allocator output (113 characters; its own text, not the grader's):")
    assert lines[start + 1:start + 1 + len(NOISY_QUOTED)] == NOISY_QUOTED
    token = lines[0][len("::stop-commands::"):]
    ours = {f"::stop-commands::{token}", f"::{token}::"}
    commands = [ln for ln in lines if ln.lstrip().startswith("::") and ln not in ours]
    assert len(commands) == 1 and commands[0].startswith("::error title=trace noisy.rep failed::")
    assert not any("##[" in ln for ln in lines)
    assert json.loads(lines[-2]) == {"scores": {"Utilization": 0.0, "Throughput": 0.0, "Penalties": 0.0},
                                     "scoreboard": [0.0, 0.0, 0.0]} and lines[-1] == ""
    assert [ln for ln in lines if ln.startswith("Score:")] == ["Score: 0/100  (utilization 0/100, throughput 0/0)"]
    doc = strict_loads(gs.read_text())
    out = next(t["output"] for t in doc["tests"] if t["name"] == "trace noisy.rep")
    assert [ln for ln in out.split("\n") if ln.startswith("| ")] == [q[4:] for q in NOISY_QUOTED]
    md = summary.read_text()
    assert "\n".join(q[4:] for q in NOISY_QUOTED) in md and "\x1b" not in md
    page = (html / "index.html").read_text()
    assert "\x1b" not in page and "\x80" not in page and "\\x1b[2J\\x1b[31mRED" in page
