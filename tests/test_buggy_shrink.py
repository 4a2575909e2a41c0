"""The minimal reproducer (grader/shrink.py) on corpus allocators: a long
failing trace shrinks to a few lines that still fail the same way."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "buggy"))
import harness  # noqa: E402

sys.path.insert(0, str(harness.REPO))
from grader import shrink  # noqa: E402


@pytest.fixture(scope="module")
def drivers(tmp_path_factory):
    return harness.build_all(["coalesce-stale-footer", "double-handout"], tmp_path_factory.mktemp("sh"))


def test_make_valid_repairs_a_subset():
    ops = [("f", 1, 0), ("a", 0, 8), ("a", 0, 9), ("r", 2, 5), ("f", 0, 0), ("r", 0, 4)]
    assert shrink.make_valid(ops) == [("a", 0, 8), ("a", 2, 5), ("f", 0, 0), ("a", 0, 4)]


def test_long_trace_shrinks_to_a_few_lines(drivers, tmp_path):
    driver = str(drivers["coalesce-stale-footer"])
    trace = harness.trace_path("synth-powerlaw")
    doc, _ = harness.run(drivers["coalesce-stale-footer"], ["synth-powerlaw"])
    error = doc["traces"][0]["error"]
    assert error["kind"] == "overlap"
    ops, original, runs = shrink.shrink(driver, trace, error, seconds=20, workdir=tmp_path)
    assert original == 40000 and len(ops) <= 12 and runs > 0
    small = tmp_path / "small.rep"
    small.write_text(shrink.render(ops, "reproducer"))
    again, _ = harness.run(drivers["coalesce-stale-footer"], [str(small)])
    assert again["traces"][0]["error"]["kind"] == "overlap"


def test_grader_saves_and_shows_the_reproducer(tmp_path):
    out = tmp_path / "g.json"
    p = subprocess.run([sys.executable, "-m", "grader", str(harness.CORPUS / "double-handout"),
                        "-f", str(harness.trace_path("synth-fifo")), "--no-timing",
                        "--json", str(out), "--workdir", str(tmp_path / "w")],
                       cwd=harness.REPO, capture_output=True, text=True, timeout=300)
    t = json.loads(out.read_text())["traces"][0]
    rep = t["reproducer"]
    assert rep["kind"] == "overlap" and rep["original_ops"] == 30000 and rep["ops"] <= 40
    assert Path(rep["path"]).is_file() and rep["path"] in p.stdout
    lines = [x for x in Path(rep["path"]).read_text().splitlines() if not x.startswith("#")]
    assert len(lines) == rep["ops"]


def test_hidden_and_malformed_traces_are_never_shrunk(tmp_path):
    ctx = SimpleNamespace(driver="/nonexistent", workdir=tmp_path, timeout_s=2)
    for hidden, kind in ((True, "overlap"), (False, "trace"), (False, "tamper")):
        t = SimpleNamespace(hidden=hidden, error={"kind": kind, "op": 0}, path=__file__,
                            reproducer=None)
        shrink.failure_hook(None, t, ctx)
        assert t.reproducer is None
    assert list(tmp_path.iterdir()) == []
