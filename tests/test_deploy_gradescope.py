"""Gradescope: `make gradescope` from a clean clone, run as Gradescope runs it.

The emulated layout is Gradescope's (autograder spec): the zip unpacked in
<root>/source, setup.sh run there once, run_autograder copied to
<root>/run_autograder and run with the submission in <root>/submission and
the metadata in <root>/submission_metadata.json; the result must be
<root>/results/results.json.  AUTOGRADER_ROOT=<root> replaces /autograder.
python3 is the interpreter running the tests (Python 3.8 under make test-py38).

Checked: the zip has setup.sh and run_autograder at its root, the hidden
traces, no solution or tests; the starter (uploaded as `my_alloc (1).c`)
gets a valid 0 with the reasons; the reference solution its 100 on the real
default path (wall clock, the config's traces, hidden included, whose tests
carry the configured visibility); a file that does not compile, two files,
no file and a kit whose driver does not build each get a valid 0 that says
why.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from deployutil import BROKEN_C, ROOT, clean_kit, env_with, hidden_set, python_shim
from kitutil import run

FAST = ["--speed", "none", "-t", "traces"]     # public traces, no timing: a few seconds
# On the default (wall-clock) path every trace must pass and utilization is
# exact; throughput is measured against libc on this shared machine, where a
# heavy load costs the reference a few throughput points (the --speed none
# tests assert its exact full score).
LOAD_SLACK = 10


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gs")
    kit = clean_kit(tmp / "clone")
    hidden = hidden_set(tmp / "hidden")
    run(["make", "-s", "gradescope", f"HIDDEN_DIR={hidden}"], cwd=kit, check=True)
    return kit / "dist" / "gradescope.zip"


@pytest.fixture(scope="module")
def installed(package, tmp_path_factory) -> Path:
    """The autograder image: unpacked in source/, setup.sh run once."""
    root = tmp_path_factory.mktemp("autograder")
    run(["unzip", "-q", str(package), "-d", str(root / "source")], cwd=root, check=True)
    shim = python_shim(root.parent / (root.name + "-bin"))
    p = run(["bash", str(root / "source" / "setup.sh")], cwd=root, env=env_with(shim))
    assert p.returncode == 0, p.stdout + p.stderr
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def submit(root: Path, files: dict, *args, metadata: dict | None = None) -> dict:
    sub = root / "submission"
    shutil.rmtree(sub, ignore_errors=True)
    sub.mkdir()
    for name, content in files.items():
        (sub / name).write_text(content)
    meta = root / "submission_metadata.json"
    meta.unlink(missing_ok=True)
    if metadata:
        meta.write_text(json.dumps(metadata))
    shim = python_shim(root.parent / (root.name + "-bin"))
    p = run(["bash", str(root / "run_autograder"), *args], cwd="/",
            env=env_with(shim, AUTOGRADER_ROOT=root), timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    check_results(doc)
    return doc


def check_results(doc: dict) -> None:
    """results.json as Gradescope's spec has it."""
    assert isinstance(doc["score"], float) and 0 <= doc["score"] <= 100
    assert isinstance(doc.get("output", ""), str)
    for t in doc["tests"]:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
        assert t.get("status", "passed") in ("passed", "failed")
        assert t.get("visibility", "visible") in ("hidden", "after_due_date", "after_published", "visible")


def test_zip_layout(package):
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"setup.sh", "run_autograder", "Makefile", "grader/deploy.py", "grader/config.toml",
            "grader/config.toml.json", "include/my_alloc.h", "traces/hidden/hidden-mini.rep"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(n.startswith(("solution/", "tests/", "docs/", "build/", "dist/")) for n in names)
    assert any(n.startswith("traces/real-") for n in names)


def test_starter_renamed_by_the_browser_gets_a_valid_zero_with_reasons(installed):
    doc = submit(installed, {"my_alloc (1).c": (ROOT / "starter/my_alloc.c").read_text()}, *FAST)
    assert doc["score"] == 0.0
    assert "returned NULL" in doc["output"]
    assert any(t["name"].startswith("trace ") and t["status"] == "failed" for t in doc["tests"])


def test_reference_scores_100_on_the_default_path_with_hidden_traces(installed):
    doc = submit(installed, {"my_alloc.c": (ROOT / "solution/my_alloc.c").read_text()})
    assert doc["score"] >= 100 - LOAD_SLACK, doc["output"]
    assert all(t["status"] == "passed" for t in doc["tests"]), doc["output"]
    hidden = [t for t in doc["tests"] if "hidden-mini" in t["name"]]
    assert len(hidden) == 1 and hidden[0]["visibility"] == "after_due_date"
    assert hidden[0]["status"] == "passed"
    assert doc["extra_data"]["speed_mode"] == "wallclock"


def test_reference_scores_exactly_100_without_timing(installed):
    doc = submit(installed, {"my_alloc.c": (ROOT / "solution/my_alloc.c").read_text()}, *FAST)
    assert doc["score"] == 100.0, doc["output"]


def test_non_compiling_file_gets_a_valid_zero_naming_the_line(installed):
    doc = submit(installed, {"my_alloc.c": BROKEN_C}, *FAST)
    assert doc["score"] == 0.0
    build = next(t for t in doc["tests"] if t["name"] == "Build")
    assert build["status"] == "failed" and "my_alloc.c:1:" in build["output"]


def test_two_files_and_no_file_get_a_valid_zero_that_says_why(installed):
    doc = submit(installed, {"a.c": BROKEN_C, "b.c": BROKEN_C}, *FAST)
    assert doc["score"] == 0.0 and "more than one .c file" in doc["output"]
    assert "a.c" in doc["output"] and "b.c" in doc["output"]
    doc = submit(installed, {"notes.txt": "hello"}, *FAST)
    assert doc["score"] == 0.0 and "no .c file was submitted" in doc["output"]


def test_kit_that_does_not_build_still_writes_a_valid_result(installed, tmp_path):
    broken = tmp_path / "autograder"
    shutil.copytree(installed, broken, symlinks=True)
    shutil.rmtree(broken / "source" / "build", ignore_errors=True)
    main_c = broken / "source" / "grader" / "driver" / "main.c"
    main_c.write_text("#error the kit is broken\n" + main_c.read_text())
    doc = submit(broken, {"my_alloc.c": (ROOT / "solution/my_alloc.c").read_text()}, *FAST)
    assert doc["score"] == 0.0
    assert "the autograder could not run" in doc["output"] and "not your fault" in doc["output"]


def test_grader_that_cannot_start_still_writes_a_valid_result(installed, tmp_path):
    broken = tmp_path / "autograder"
    shutil.copytree(installed, broken, symlinks=True)
    (broken / "source" / "grader" / "__init__.py").write_text("raise SystemExit(3)\n")
    doc = submit(broken, {"my_alloc.c": "int x;\n"}, *FAST)
    assert doc["score"] == 0.0 and "could not run" in doc["output"]


def test_setup_makes_hidden_traces_readable_by_root_only(installed):
    hidden = installed / "source" / "traces" / "hidden"
    assert hidden.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o077 == 0 for p in hidden.glob("*.rep"))
