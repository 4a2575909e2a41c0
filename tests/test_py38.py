"""The grader's Python floor (3.8) and its TOML fallback.

`make test-py38` runs this file and the grader suites under the oldest
supported interpreter; under any interpreter these tests check what 3.8 needs:
the config loads through tomllib or tomli, and without either the grader says
so in one line naming the package (never an ImportError traceback); the
driver-retry path of grader/runner.py (once written with `dict | dict`, a
3.9 feature, so it crashed only when a driver run failed) builds its document.
"""
from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import config, runner  # noqa: E402


def test_config_loads_under_this_interpreter():
    cfg = config.load()
    assert cfg.max_score == 100.0
    assert config._toml is not None
    if sys.version_info < (3, 11):
        assert config._toml.__name__ == "tomli"


def test_no_toml_reader_is_a_clear_error(tmp_path):
    # A Python where neither tomllib nor tomli imports: a sitecustomize that
    # blocks both, as a bare platform image would behave.
    block = tmp_path / "block"
    block.mkdir()
    (block / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('tomllib', 'tomli'):\n"
        "            raise ImportError(name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Block())\n")
    env = dict(os.environ, PYTHONPATH=str(block))
    p = subprocess.run([sys.executable, "-m", "grader", "--check-config"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "grader/config.toml: cannot read: no TOML reader" in p.stderr
    assert "python3-tomli" in p.stderr


def test_runner_retry_path_builds_its_document(tmp_path):
    # A fake driver that fails when given several traces and answers for one:
    # run_driver must retry trace by trace and merge the answers.
    fake = tmp_path / "driver"
    fake.write_text(
        "#!/bin/sh\n"
        'n=0; for a in "$@"; do [ "$a" = -f ] && n=$((n+1)); last=$a; done\n'
        'if [ $n -gt 1 ]; then echo boom >&2; exit 3; fi\n'
        'name=$(basename "$last")\n'
        'printf \'{"version": 1, "allocator": "my_alloc", "traces": [{"name": "%s", "correct": true,'
        ' "error": null, "ops": 2}]}\\n\' "$name"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    specs = [runner.TraceSpec(tmp_path / "a.rep"), runner.TraceSpec(tmp_path / "b.rep")]
    run = runner.run_driver(str(fake), specs, timeout_s=5, samples=1, timing=False)
    assert [t.name for t in run.traces] == ["a.rep", "b.rep"]
    assert all(t.correct for t in run.traces)
    assert run.document["version"] == 1 and len(run.document["traces"]) == 2
    assert any("retrying each trace" in n for n in run.notes)


def test_grader_sources_parse_as_python38():
    # Syntax newer than 3.8 (match, parenthesised context managers, walrus in a
    # subscript...) fails here under any interpreter.
    bad = []
    for f in sorted((ROOT / "grader").rglob("*.py")):
        try:
            ast.parse(f.read_text(), str(f), feature_version=(3, 8))
        except SyntaxError as e:
            bad.append(f"{f.relative_to(ROOT)}:{e.lineno}: {e.msg}")
    assert not bad, bad


def test_json_copy_of_the_config_is_the_same_config(tmp_path):
    # What a package carries for Pythons without a TOML reader must load to the
    # very same Config, pattern order included ([trace_weights]: the first
    # matching pattern wins; a sorted copy once graded short-06-realloc.rep
    # as a realloc trace).
    import json
    sys.path.insert(0, str(ROOT / "deploy"))
    import package
    (copy,) = package.config_copy(tmp_path)
    doc = json.loads(copy[1].read_text())
    via_json = config.from_dict(doc["config"], "copy", base=config.REPO_ROOT)
    via_toml = config.load()
    assert list(via_json.trace_weights.items()) == list(via_toml.trace_weights.items())
    assert via_json.weight_of("short-06-realloc.rep") == via_toml.weight_of("short-06-realloc.rep")
    assert via_json == config.Config(**{**via_toml.__dict__, "path": "copy"})
