"""PrairieLearn: `make prairielearn` from a clean clone, run as PrairieLearn's
external grader runs it.

Emulated container: <root>/serverFilesCourse/slablab (the package's
serverFilesCourse, mounted as the course's files), the student's upload in
<root>/student, the entry point of questions/slablab/info.json run with
PL_GRADE_ROOT=<root> in place of /grade, the result read from
<root>/results/results.json.  Checked: info.json's entry point is the
packaged script under /grade/serverFilesCourse, its timeout 30 s and the
question uploads my_alloc.c; results.json has gradable, score in [0, 1],
tests[] with points <= max_points, and the points add up to the score; the
starter gets a valid 0 with the reasons, the reference 1.0 on the real
default path within PrairieLearn's 30 s, with its hidden trace present but
unnamed and without output; a non-compiling file a gradable 0 naming the
line; a renamed file is graded; no file is not gradable, with a format error.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from deployutil import BROKEN_C, ROOT, clean_kit, env_with, hidden_set, python_shim
from kitutil import run

FAST = ["--speed", "none", "-t", "traces"]
# On the default (wall-clock) path every trace must pass and utilization is
# exact; throughput is measured against libc on this shared machine, where a
# heavy load costs the reference a few throughput points (the --speed none
# tests assert its exact full score).
LOAD_SLACK = 10


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pl")
    kit = clean_kit(tmp / "clone")
    hidden = hidden_set(tmp / "hidden")
    run(["make", "-s", "prairielearn", f"HIDDEN_DIR={hidden}"], cwd=kit, check=True)
    return kit / "dist" / "prairielearn"


@pytest.fixture(scope="module")
def container(package, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("grade")
    shutil.copytree(package / "serverFilesCourse", root / "serverFilesCourse", symlinks=True)
    return root


def info(package: Path) -> dict:
    return json.loads((package / "questions" / "slablab" / "info.json").read_text())


def grade(root: Path, package: Path, files: dict, *args) -> tuple[dict, float]:
    student = root / "student"
    shutil.rmtree(student, ignore_errors=True)
    student.mkdir()
    for name, text in files.items():
        (student / name).write_text(text)
    entry = info(package)["externalGradingOptions"]["entrypoint"]
    assert entry.startswith("/grade/")
    script = root / entry[len("/grade/"):]
    t0 = time.monotonic()
    p = run([str(script), *args], cwd=str(root), timeout=300,
            env=env_with(python_shim(root.parent / (root.name + "-bin")), PL_GRADE_ROOT=root))
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    check(doc)
    return doc, took


def check(doc: dict) -> None:
    assert isinstance(doc["gradable"], bool)
    assert isinstance(doc["score"], float) and 0.0 <= doc["score"] <= 1.0
    if not doc["gradable"]:
        assert doc["format_errors"] and all(isinstance(e, str) for e in doc["format_errors"])
        return
    for t in doc["tests"]:
        assert isinstance(t["name"], str) and isinstance(t["points"], float)
        assert isinstance(t["max_points"], float) and t["points"] <= t["max_points"] + 1e-9
    total = sum(t["points"] for t in doc["tests"])
    assert abs(total / 100 - doc["score"]) < 1e-3


def test_question_declares_the_packaged_entry_point(package):
    opts = info(package)["externalGradingOptions"]
    assert opts["enabled"] and opts["timeout"] == 30
    assert opts["serverFilesCourse"] == ["slablab/"]
    script = package / opts["entrypoint"].replace("/grade/", "", 1)
    assert script.is_file() and script.stat().st_mode & 0o111
    assert 'file-names="my_alloc.c"' in (package / "questions/slablab/question.html").read_text()
    assert (package / "serverFilesCourse/slablab/traces/hidden/hidden-mini.rep").is_file()
    assert not (package / "serverFilesCourse/slablab/solution").exists()
    assert package.with_name("prairielearn.tar.gz").is_file()


def test_starter_gets_a_valid_zero_with_reasons(container, package):
    doc, _ = grade(container, package, {"my_alloc.c": (ROOT / "starter/my_alloc.c").read_text()}, *FAST)
    assert doc["gradable"] and doc["score"] == 0.0
    assert "returned NULL" in doc["output"]


def test_reference_gets_full_score_within_30_seconds(container, package):
    doc, took = grade(container, package, {"my_alloc.c": (ROOT / "solution/my_alloc.c").read_text()})
    assert doc["gradable"] and doc["score"] >= 1 - LOAD_SLACK / 100, doc["message"]
    assert "FAIL" not in doc["output"] and "not run" not in doc["output"], doc["output"]
    assert took < 30, took
    hidden = [t for t in doc["tests"] if t["name"].startswith("hidden trace")]
    assert len(hidden) == 1 and hidden[0]["output"] == ""
    assert "hidden-mini" not in json.dumps(doc)


def test_broken_renamed_and_missing_files(container, package):
    doc, _ = grade(container, package, {"my_alloc.c": BROKEN_C}, *FAST)
    assert doc["gradable"] and doc["score"] == 0.0 and "my_alloc.c:1:" in doc["output"]
    doc, _ = grade(container, package, {"allocator.c": (ROOT / "solution/my_alloc.c").read_text()}, *FAST)
    assert doc["gradable"] and doc["score"] == 1.0
    doc, _ = grade(container, package, {"README.txt": "hi"}, *FAST)
    assert doc["gradable"] is False and "no .c file" in doc["format_errors"][0]
