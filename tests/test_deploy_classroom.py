"""GitHub Classroom (classroom.yml) and the fork rule of grade-pr.yml.

classroom.yml is run in an emulator on a student repository made from the
handout tarball (built from a clean clone): push-triggered steps in order,
`if:` conditions on step outputs, $GITHUB_OUTPUT and $RUNNER_TEMP as the
runner provides them (the apt install step is not run: the packages are
here).  Then the reporter is emulated as classroom-resources/autograding-
grading-reporter reads its input: for each id in `runners`, the env var
<ID>_RESULTS is base64 JSON; points = the sum of its tests' `score`, out of
its `max_score`, written as "Points X/Y" into the check run named
"Autograding Tests".  Checked: the reference gets Points 100/100, the
starter 0/100 with failing tests, a non-compiling file 0 with the compile
error, a missing file a valid zero; in the kit's own repository nothing is
graded.  grade-pr.yml: actions/checkout now refuses a fork's head under
pull_request_target unless the step opts in; the head checkout opts in, the
base checkout does not, and .pr-head/ is data only (never executed,
deleted before the build).
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from deployutil import BROKEN_C, ROOT, clean_kit, env_with, python_shim
from kitutil import run

WORKFLOWS = ROOT / ".github" / "workflows"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cl")
    kit = clean_kit(tmp / "clone")
    run(["tools/make-handout.sh", str(tmp / "h.tar.gz")], cwd=kit, check=True)
    with tarfile.open(tmp / "h.tar.gz") as tf:
        tf.extractall(tmp / "x")
    (top,) = list((tmp / "x").iterdir())
    return top


def emulate(repo: Path, tmp: Path, grade_options: str = "--speed none") -> dict:
    """Run classroom.yml's job on repo; return {'outputs', 'points', 'results', 'log'}."""
    wf = load("classroom.yml")
    (job,) = wf["jobs"].values()
    # GitHub's runner image has a current Python (the handout has no JSON config copy)
    env_base = env_with(python_shim(tmp / "bin", sys.executable), RUNNER_TEMP=tmp / "runner",
                        GITHUB_ACTIONS="true",
                        GITHUB_STEP_SUMMARY=tmp / "summary.md")
    env_base.update({k: v for k, v in wf.get("env", {}).items()})
    env_base["GRADE_OPTIONS"] = grade_options
    (tmp / "runner").mkdir(exist_ok=True)
    outputs: dict = {}
    log = []

    def ev(expr: str) -> str:
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        assert m, f"emulator does not know {expr}"
        return outputs.get(m[1], {}).get(m[2], "")

    def cond(c: str) -> bool:
        m = re.fullmatch(r"(steps\.[\w.-]+) == '(\w+)'", c)
        assert m, c
        return ev(m[1]) == m[2]

    reporter = None
    for step in job["steps"]:
        if "if" in step and not cond(step["if"]):
            continue
        if step.get("uses", "").startswith("actions/checkout@"):
            continue                                  # the repository is already here
        if step.get("uses", "").startswith("classroom-resources/autograding-grading-reporter@"):
            reporter = ({k: EXPR.sub(lambda m: ev(m[1]), v) for k, v in step["env"].items()},
                        step["with"])
            continue
        if step["name"].startswith("Install"):
            continue                                  # apt-get: the packages are installed here
        out = tmp / "github_output"
        out.write_text("")
        env = dict(env_base, GITHUB_OUTPUT=str(out))
        script = step["run"]
        assert not EXPR.search(script), "no ${{ }} inside a script"
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                           cwd=repo, env=env, capture_output=True, text=True, timeout=600)
        log.append(p.stdout + p.stderr)
        assert p.returncode == 0, p.stdout + p.stderr
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    result = {"outputs": outputs, "log": "\n".join(log), "points": None}
    if reporter:
        env, with_ = reporter
        total = maximum = 0.0
        docs = []
        for runner in with_["runners"].split(","):
            doc = json.loads(base64.b64decode(env[f"{runner.strip().upper()}_RESULTS"]))
            docs.append(doc)
            if doc.get("max_score"):
                maximum += doc["max_score"]
                total += sum(t["score"] for t in doc["tests"])
        result["points"] = f"Points {round(total, 2):g}/{maximum:g}"
        result["results"] = docs
    return result


def student(handout: Path, tmp: Path, text: str | None) -> Path:
    repo = tmp / "repo"
    run(["cp", "-a", str(handout), str(repo)], cwd=tmp, check=True)
    if text is None:
        (repo / "my_alloc.c").unlink()
    else:
        (repo / "my_alloc.c").write_text(text)
    return repo


def test_workflow_shape():
    wf = load("classroom.yml")
    assert "push" in wf["on"]
    assert wf["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job,) = wf["jobs"].values()
    assert job["name"] == "Autograding Tests"     # the check run the reporter updates
    co = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert len(co) == 1 and co[0]["with"]["persist-credentials"] is False
    rep = [s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", "")]
    assert len(rep) == 1
    ids = rep[0]["with"]["runners"].split(",")
    assert [f"{i.upper()}_RESULTS" for i in ids] == list(rep[0]["env"])
    assert "secrets." not in (WORKFLOWS / "classroom.yml").read_text()


def test_reference_gets_full_points(handout, tmp_path):
    r = emulate(student(handout, tmp_path, (ROOT / "solution/my_alloc.c").read_text()), tmp_path)
    assert r["points"] == "Points 100/100", r["log"][-3000:]
    assert r["results"][0]["status"] == "pass"


def test_reference_on_the_default_wall_clock_path(handout, tmp_path):
    # every trace passes; throughput varies with the machine's load (the
    # --speed none test above asserts the exact 100)
    r = emulate(student(handout, tmp_path, (ROOT / "solution/my_alloc.c").read_text()), tmp_path, "")
    total = float(r["points"].split()[1].split("/")[0])
    assert total >= 90 and r["points"].endswith("/100"), r["log"][-3000:]
    assert all(t["status"] == "pass" for t in r["results"][0]["tests"]), r["log"][-3000:]


def test_starter_broken_and_missing(handout, tmp_path):
    (tmp_path / "a").mkdir()
    r = emulate(student(handout, tmp_path / "a", (ROOT / "starter/my_alloc.c").read_text()), tmp_path / "a")
    assert r["points"] == "Points 0/100"
    assert r["results"][0]["status"] == "fail"
    assert any(t["status"] == "fail" and "returned NULL" in t["message"] for t in r["results"][0]["tests"])
    (tmp_path / "b").mkdir()
    r = emulate(student(handout, tmp_path / "b", BROKEN_C), tmp_path / "b")
    assert r["points"] == "Points 0/100"
    assert any("my_alloc.c:1:" in t["message"] for t in r["results"][0]["tests"])
    (tmp_path / "c").mkdir()
    r = emulate(student(handout, tmp_path / "c", None), tmp_path / "c")
    assert r["points"] == "Points 0/100"
    assert "no .c file" in json.dumps(r["results"][0])


def test_kit_repository_grades_nothing(tmp_path):
    kit = clean_kit(tmp_path / "kit")
    r = emulate(kit, tmp_path)
    assert r["outputs"]["where"]["student"] == "false"
    assert r["points"] is None and "slablab" not in r["outputs"]


# ---- grade-pr.yml under actions/checkout's fork rule ----------------------------------

def checkout_refuses(step: dict, event: str, fork: bool) -> bool:
    """actions/checkout's guard: under pull_request_target, checking out the
    head of a fork's pull request needs allow-unsafe-pr-checkout: true."""
    w = step.get("with", {})
    head = "pull_request.head" in json.dumps(w)
    return event == "pull_request_target" and fork and head and w.get("allow-unsafe-pr-checkout") is not True


def test_grade_pr_checks_out_fork_heads_as_data_only():
    wf = load("grade-pr.yml")
    assert list(wf["on"]) == ["pull_request_target"]
    assert wf["permissions"] == {"contents": "read"}
    (job,) = wf["jobs"].values()
    steps = job["steps"]
    co = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    base, head = co
    for fork in (False, True):                  # same-repository and fork PRs both work
        assert not checkout_refuses(base, "pull_request_target", fork)
        assert not checkout_refuses(head, "pull_request_target", fork)
    assert "allow-unsafe-pr-checkout" not in base.get("with", {})
    assert head["with"]["path"] == ".pr-head" and head["with"]["persist-credentials"] is False
    # the guard is real: without the opt-in a fork PR would be refused
    bare = {"with": {k: v for k, v in head["with"].items() if k != "allow-unsafe-pr-checkout"}}
    assert checkout_refuses(bare, "pull_request_target", True)
    # .pr-head/ is data: after the copy step deletes it, nothing mentions it; before,
    # only that step does, and it runs nothing from it (cp, stat, a Python walk).
    after = steps[steps.index(head) + 1:]
    uses_head = [s for s in after if ".pr-head" in json.dumps(s)]
    assert len(uses_head) == 1 and "rm -rf .pr-head" in uses_head[0]["run"]
    script = uses_head[0]["run"]
    patterns = (r"^\s*[\"']?(\./)?\.pr-head/",                       # run a file from it
                r"\b(bash|sh|source|\.|python3|exec|env)\s+[\"']?\.pr-head",
                r"^\s*[\"']?\$\{?src\b",                               # run the copied path
                r"make\s+-C\s*[\"']?\.pr-head", r"\bcd\s+[\"']?\.pr-head")
    for bad in patterns:
        assert not re.search(bad, script, re.M), bad
    for sample in ("bash .pr-head/x.sh", ".pr-head/run", '"$src"', "make -C .pr-head",
                   "cd .pr-head && make", "python3 .pr-head/setup.py"):
        assert any(re.search(b, sample, re.M) for b in patterns), sample
    assert "secrets." not in (WORKFLOWS / "grade-pr.yml").read_text()
