"""The grader end to end on real submissions: the reference solution, the
starter, and tests/submissions/*.c, each of which breaks one rule.

Timing is off (--no-timing) except where the speed score is the point; the
instruction-count mode is exercised on two traces.  Each grading builds in
its own temporary work directory.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBS = ROOT / "tests" / "submissions"
SMALL = ["-f", "traces/short-03-reuse.rep", "-f", "traces/short-07-zero.rep", "-f", "traces/synth-fifo.rep"]


def grade(tmp_path, submission, *args, env=None):
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*')))}.json"
    cmd = [sys.executable, "-m", "grader", str(submission), "--json", str(out), "--workdir",
           str(tmp_path / "work"), "--color", "never", "--no-github", *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env=env or {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"})
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    doc = json.loads(out.read_text()) if out.exists() else None
    return p, doc


def rules(doc):
    return {(v["rule"], v["symbol"]) for v in doc["static"]["violations"]}


def test_reference_solution_gets_full_utilization_credit_on_every_public_trace(tmp_path):
    p, doc = grade(tmp_path, "solution/my_alloc.c", "-t", "traces", "--no-timing")
    assert p.returncode == 0, p.stderr
    failing = [(t["name"], t["reason"]) for t in doc["traces"] if t["points"] < t["max_points"]]
    assert failing == []
    assert doc["score"] == 100, p.stdout
    assert rules(doc) == set()


def test_reference_solution_gets_full_speed_credit_counting_instructions(tmp_path):
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required (apt-get install valgrind)")
    args = ["-f", "traces/synth-random.rep", "-f", "traces/real-lua.rep", "--speed", "instructions"]
    p, doc = grade(tmp_path, "solution/my_alloc.c", *args)
    assert p.returncode == 0, p.stderr
    assert doc["speed"]["mode"] == "instructions" and doc["speed"]["error"] == ""
    for t in doc["traces"]:
        assert t["instructions"]["my_alloc"] > 0 and t["instructions"]["libc"] > 0
        assert t["speed_credit"] == 1.0, t
    assert doc["speed_points"] == doc["speed_max"] == 40
    # deterministic: a second run counts exactly the same instructions
    p2, doc2 = grade(tmp_path, "solution/my_alloc.c", *args)
    assert [t["instructions"] for t in doc2["traces"]] == [t["instructions"] for t in doc["traces"]]
    assert doc2["speed_points"] == doc["speed_points"]


def test_untouched_starter_scores_zero_with_reasons_and_exit_zero(tmp_path):
    p, doc = grade(tmp_path, "starter/my_alloc.c", "--no-timing")
    assert p.returncode == 0
    assert doc["score"] == 0 and doc["build"]["ok"]
    assert doc["traces"] and all(not t["correct"] for t in doc["traces"])
    assert all(t["error"]["kind"] for t in doc["traces"])
    assert "Score: 0/100" in p.stdout and "Failures:" in p.stdout


def test_a_submission_that_does_not_compile_gets_a_clear_zero(tmp_path):
    gs = tmp_path / "results.json"
    p, doc = grade(tmp_path, SUBS / "broken.c", "--no-timing", "--gradescope", str(gs), *SMALL)
    assert p.returncode == 0
    assert doc["score"] == 0 and not doc["build"]["ok"] and doc["traces"] == []
    assert doc["verdict"].startswith("does not compile")
    errors = [d for d in doc["build"]["diagnostics"] if d["severity"] == "error"]
    assert errors[0]["file"].endswith("broken.c") and errors[0]["line"] == 4
    assert "BUILD FAILED" in p.stdout
    results = json.loads(gs.read_text())
    assert results["score"] == 0 and results["tests"][0]["status"] == "failed"


def test_a_contract_signature_mismatch_is_a_compile_error(tmp_path):
    p, doc = grade(tmp_path, SUBS / "wrong_signature.c", "--no-timing", *SMALL)
    assert doc["score"] == 0 and not doc["build"]["ok"]
    assert "my_alloc" in doc["build"]["reason"]


def test_a_submission_calling_malloc_scores_zero_naming_the_symbols(tmp_path):
    p, doc = grade(tmp_path, SUBS / "uses_malloc.c", "--no-timing", *SMALL)
    assert doc["score"] == 0 and doc["zeroed"]
    assert {("forbidden-call", "malloc"), ("forbidden-call", "free")} <= rules(doc)
    v = next(v for v in doc["static"]["violations"] if v["symbol"] == "malloc")
    assert v["zero"] and v["line"] == 8          # the line that calls it, not the comment
    assert "rule forbidden-call: uses malloc" in p.stdout


def test_a_4kb_global_array_breaks_the_global_data_rule(tmp_path):
    p, doc = grade(tmp_path, SUBS / "big_global.c", "--no-timing", *SMALL)
    assert doc["score"] == 0
    assert ("global-data", "sizes_seen") in rules(doc)
    assert doc["static"]["global_data_bytes"] >= 4096
    # it would work, but it breaks a rule that zeroes the score: never run
    assert doc["traces"] == [] and any(n.startswith("not run: ") for n in doc["notes"])


def test_defining_clock_gettime_is_interposition(tmp_path):
    p, doc = grade(tmp_path, SUBS / "fake_clock.c", "--no-timing", *SMALL)
    assert doc["score"] == 0
    assert ("interposition", "clock_gettime") in rules(doc)
    assert "clock_gettime" in doc["verdict"]


def test_only_the_contract_stays_global_in_what_is_linked(tmp_path):
    # Even past the static checks, a fake clock_gettime could not replace libc's.
    work = tmp_path / "keep"
    p, doc = grade(tmp_path, SUBS / "fake_clock.c", "--no-timing", "--keep", "--workdir", str(work), *SMALL)
    (linked,) = work.rglob("allocator.o")      # the object as linked into the host (grader/link.py)
    symbols = {line.split()[-1]: line.split()[-2] for line in
               subprocess.run(["nm", str(linked)], capture_output=True, text=True).stdout.splitlines()}
    assert symbols["clock_gettime"] == "t", "localized"
    assert symbols["my_alloc"] == "T" and symbols["my_init"] == "T"
    # and in the host, the submission's clock_gettime stays a local symbol
    (host,) = work.rglob("allocator")
    nm = subprocess.run(["nm", str(host)], capture_output=True, text=True).stdout.splitlines()
    assert any(line.endswith(" t clock_gettime") for line in nm)


def test_a_non_static_helper_costs_the_configured_penalty(tmp_path):
    p, doc = grade(tmp_path, SUBS / "extra_symbol.c", "--no-timing", *SMALL)
    assert rules(doc) == {("extra-symbol", "round_up")}
    assert not doc["zeroed"] and doc["penalty"] == 5
    p2, bump = grade(tmp_path, SUBS / "bump.c", "--no-timing", *SMALL)
    assert rules(bump) == set()
    assert doc["score"] == max(0, bump["score"] - 5)


def test_a_crashing_submission_fails_each_trace_and_the_run_goes_on(tmp_path):
    p, doc = grade(tmp_path, SUBS / "crashes.c", "--no-timing", *SMALL)
    assert p.returncode == 0 and doc["score"] == 0
    kinds = {t["error"]["kind"] for t in doc["traces"] if t["name"] != "short-07-zero.rep"}
    assert kinds == {"signal"}
    assert len(doc["traces"]) == 3


def test_fail_under_sets_the_exit_status(tmp_path):
    p, doc = grade(tmp_path, SUBS / "bump.c", "--no-timing", "--fail-under", "50", *SMALL)
    assert doc["score"] < 50 and p.returncode == 1


def test_missing_submission_and_bad_trace_arguments(tmp_path):
    p, doc = grade(tmp_path, tmp_path / "nope.c", "--no-timing", *SMALL)
    assert p.returncode == 0 and doc["score"] == 0 and "no such file" in doc["verdict"]
    p = subprocess.run([sys.executable, "-m", "grader", "-f", "traces/nope.rep"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "no such trace file" in p.stderr


def test_batch_grades_a_mixed_class_and_writes_a_gradebook(tmp_path):
    klass = tmp_path / "class"
    (klass / "ada").mkdir(parents=True)
    shutil.copy(ROOT / "solution" / "my_alloc.c", klass / "ada" / "my_alloc.c")
    (klass / "bob").mkdir()
    shutil.copy(SUBS / "broken.c", klass / "bob" / "allocator.c")        # single .c, other name
    shutil.copy(SUBS / "uses_malloc.c", klass / "cy.c")                   # a bare file
    (klass / "dee").mkdir()                                               # empty folder
    (klass / "notes.txt").write_text("not a submission")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "--batch", str(klass), "--jobs", "2", "--out", str(out),
           "--workdir", str(tmp_path / "work"), "--no-timing", *SMALL]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert "[4/4]" in p.stderr                         # progress lines
    rows = list(csv.DictReader(open(out / "details.csv")))     # per-trace detail
    by = {r["student"]: r for r in rows}
    book = list(csv.DictReader(open(out / "gradebook.csv")))   # LMS file: one score column
    assert [list(r) for r in book] == [["student", "slablab"]] * 4
    assert {r["student"]: float(r["slablab"]) for r in book} == {s: float(by[s]["score"]) for s in by}
    assert list(by) == ["ada", "bob", "cy", "dee"]
    assert float(by["ada"]["score"]) == 100
    assert by["ada"]["synth-fifo.rep"] != "" and by["ada"]["failures"] == ""
    assert float(by["bob"]["score"]) == 0 and by["bob"]["failures"].startswith("build:")
    assert float(by["cy"]["score"]) == 0 and "forbidden-call malloc" in by["cy"]["violations"]
    assert float(by["dee"]["score"]) == 0 and "no my_alloc.c" in by["dee"]["verdict"]
    for student in by:
        assert (out / "reports" / f"{student}.txt").read_text().startswith("slablab grader")
        assert json.loads((out / "reports" / f"{student}.json").read_text())["student"] == student


def test_failure_hooks_see_each_failed_trace_and_can_attach_a_reproducer(tmp_path):
    sys.path.insert(0, str(ROOT))
    from grader import config, pipeline
    from grader.terminal import render
    seen = []

    def hook(result, trace, ctx):
        seen.append((trace.name, Path(ctx.driver).exists(), ctx.workdir.is_dir()))
        trace.reproducer = {"path": f"{ctx.workdir}/min-{trace.name}", "ops": 1}

    def broken_hook(result, trace, ctx):
        raise RuntimeError("shrinker bug")

    opts = pipeline.GradeOptions(trace_files=["traces/short-03-reuse.rep", "traces/synth-fifo.rep"],
                                 speed_mode="none", work_root=tmp_path / "work",
                                 failure_hooks=[hook, broken_hook])
    r = pipeline.grade(SUBS / "crashes.c", config.load(), opts)
    assert sorted(seen) == [("short-03-reuse.rep", True, True), ("synth-fifo.rep", True, True)]
    assert all(t.reproducer["ops"] == 1 for t in r.traces)
    assert "reproducer:" in render(r)
    assert any("shrinker bug" in n for n in r.notes)          # a hook's bug is a note, not a crash
    assert r.score == 0 and not any("internal grader error" in n for n in r.notes)
