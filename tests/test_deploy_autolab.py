"""Autolab: `make autolab` from a clean clone, run as Tango runs a job.

Emulated job directory: autograde-Makefile copied in as `Makefile`, beside
autograde.tar and the student's handin (Autolab names it after the
assessment's handin_filename, my_alloc.c; an upload under another name is
graded too); Tango runs `make` and Autolab reads the LAST output line,
{"scores": {...}, "scoreboard": [...]}.  Checked: the scores line is last
and names exactly the problems slablab.yml declares, whose maxima sum to
max_score; the scoreboard has one value per declared column; the starter
gets a valid 0 with the reasons above the line, the reference its 100 on
the real default path (its hidden trace graded but not named in the
feedback), a non-compiling file and a renamed file a valid result, and a VM
without python3 still a valid (zero) scores line.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from deployutil import BROKEN_C, ROOT, clean_kit, env_with, hidden_set, python_shim
from kitutil import run

FAST = "GRADE_FLAGS=--speed none -t traces"
# On the default (wall-clock) path every trace must pass and utilization is
# exact; throughput is measured against libc on this shared machine, where a
# heavy load costs the reference a few throughput points (the --speed none
# tests assert its exact full score).
LOAD_SLACK = 10


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("al")
    kit = clean_kit(tmp / "clone")
    hidden = hidden_set(tmp / "hidden")
    run(["make", "-s", "autolab", f"HIDDEN_DIR={hidden}"], cwd=kit, check=True)
    return kit / "dist" / "autolab"


def job(package: Path, tmp: Path, handin: dict, *make_args, path: str | None = None):
    d = tmp / "job"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    shutil.copy(package / "autograde-Makefile", d / "Makefile")
    shutil.copy(package / "autograde.tar", d / "autograde.tar")
    for name, text in handin.items():
        (d / name).write_text(text)
    env = env_with(python_shim(tmp / "bin"))
    if path is not None:
        env["PATH"] = path
    p = run(["make", *make_args], cwd=d, env=env, timeout=400)
    lines = p.stdout.strip().splitlines()
    assert lines, p.stderr
    return json.loads(lines[-1]), p.stdout


def declared(package: Path) -> dict:
    return yaml.safe_load((package / "slablab.yml").read_text())


def check_scores(doc: dict, package: Path, timed: bool = False) -> None:
    spec = declared(package)
    problems = {p["name"]: p["max_score"] for p in spec["problems"]}
    assert set(doc["scores"]) == set(problems)
    assert sum(problems.values()) == 100
    cols = json.loads(spec["scoreboard"]["colspec"])["scoreboard"]
    assert len(doc["scoreboard"]) == len(cols)
    assert all(isinstance(v, (int, float)) for v in doc["scoreboard"])
    # With --speed none the utilization part is worth the whole score (README
    # "Scoring"), so the declared maxima hold only for timed gradings.
    for name, v in (doc["scores"].items() if timed else ()):
        assert v <= problems[name] + 1e-9
    assert spec["autograder"]["autograde_timeout"] == 180
    assert spec["general"]["handin_filename"] == "my_alloc.c"


def test_tar_has_the_kit_and_the_hidden_traces(package):
    import tarfile
    with tarfile.open(package / "autograde.tar") as t:
        names = set(t.getnames())
    assert {"slablab/Makefile", "slablab/grader/deploy.py", "slablab/traces/hidden/hidden-mini.rep",
            "slablab/grader/config.toml.json"} <= names
    assert not any(n.startswith(("slablab/solution/", "slablab/tests/")) for n in names)


def test_starter_gets_a_valid_zero_with_reasons(package, tmp_path):
    doc, out = job(package, tmp_path, {"my_alloc.c": (ROOT / "starter/my_alloc.c").read_text()}, FAST)
    check_scores(doc, package)
    assert doc["scoreboard"][0] == 0 and sum(doc["scores"].values()) == 0
    assert "returned NULL" in out


def test_reference_gets_100_on_the_default_path(package, tmp_path):
    doc, out = job(package, tmp_path, {"my_alloc.c": (ROOT / "solution/my_alloc.c").read_text()})
    check_scores(doc, package, timed=True)
    assert doc["scores"]["Utilization"] == 60 and doc["scores"]["Penalties"] == 0, out[-2000:]
    assert doc["scoreboard"][0] >= 100 - LOAD_SLACK, out[-2000:]
    assert abs(sum(doc["scores"].values()) - doc["scoreboard"][0]) < 0.05
    assert "hidden trace 1" in out and "FAIL" not in out
    assert "hidden-mini" not in out          # Autolab shows this text to the student


def test_renamed_and_broken_handins_get_valid_results(package, tmp_path):
    doc, _ = job(package, tmp_path, {"alloc-v2.c": (ROOT / "solution/my_alloc.c").read_text()}, FAST)
    check_scores(doc, package)
    assert doc["scoreboard"][0] == 100
    doc, out = job(package, tmp_path, {"my_alloc.c": BROKEN_C}, FAST)
    check_scores(doc, package)
    assert doc["scoreboard"][0] == 0 and "my_alloc.c:1:" in out


def test_vm_without_python_still_prints_a_valid_scores_line(package, tmp_path):
    nopy = tmp_path / "nopy"
    nopy.mkdir()
    for tool in ("make", "tar", "sh", "bash", "cat", "tail", "grep", "mkdir", "mv", "echo"):
        src = shutil.which(tool)
        if src:
            (nopy / tool).symlink_to(src)
    doc, out = job(package, tmp_path, {"my_alloc.c": "int x;\n"}, path=str(nopy))
    check_scores(doc, package)
    assert doc["scoreboard"][0] == 0 and "could not run" in out
