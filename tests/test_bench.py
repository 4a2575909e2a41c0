"""grader/bench.py (`make bench`): the two sets, which traces each target judges,
medians over runs, and a run of the real command against a stand-in driver,
under the oldest Python the grader supports."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import bench  # noqa: E402

PY38 = Path("/root/.pyenv/versions/3.8.18/bin/python3")


def trace(name, ops, util, ceiling, ratio, correct=True):
    return {"name": name, "ops": ops, "util": util, "ceiling": ceiling, "ratio": ratio,
            "correct": correct, "ops_per_sec": 2e6, "libc_ops_per_sec": 1e6,
            "checked_ops_per_sec": 1e5}


def test_validation_throughput_counts_only_long_traces_and_takes_medians_over_runs():
    vset = bench.BenchSet("validation", Path("v"), "", long_only=True)
    runs = [
        {"traces": [trace("val-a.rep", 200_000, 0.90, 1.0, 3.0), trace("val-b.rep", 100_000, 0.80, 1.0, 1.0),
                    trace("val-short.rep", 99_999, 0.95, 1.0, 0.1)]},
        {"traces": [trace("val-a.rep", 200_000, 0.90, 1.0, 1.0), trace("val-b.rep", 100_000, 0.80, 1.0, 2.0),
                    trace("val-short.rep", 99_999, 0.95, 1.0, 0.1)]},
        {"traces": [trace("val-a.rep", 200_000, 0.90, 1.0, 2.0), trace("val-b.rep", 100_000, 0.80, 1.0, 1.5),
                    trace("val-short.rep", 99_999, 0.95, 1.0, 0.1)]},
    ]
    s = bench.summarize(vset, runs)
    assert s["real_traces"] == 3, "every validation trace is a real program"
    assert s["share_mean"] == pytest.approx((0.90 + 0.80 + 0.95) / 3)
    assert s["share_min"] == pytest.approx(0.80)
    assert s["timed_traces"] == 2, "the 99,999-op trace is not judged on throughput"
    assert s["trace_median_ratio"] == {"val-a.rep": 2.0, "val-b.rep": 1.5}
    assert s["ratio_median"] == pytest.approx(1.75)
    assert s["ratio_min"] == pytest.approx(1.5)
    assert s["run_medians"] == [2.0, 1.5, 1.75]


def test_public_targets_judge_the_real_program_traces_only():
    pset = bench.BenchSet("public", Path("p"), "real-", long_only=False)
    doc = {"traces": [trace("real-x.rep", 1000, 0.5, 1.0, 1.0), trace("synth-y.rep", 500_000, 0.1, 1.0, 9.0),
                      trace("short-z.rep", 10, 0.01, 1.0, 0.1, correct=False)]}
    s = bench.summarize(pset, [doc])
    assert s["real_traces"] == 1 and s["share_mean"] == pytest.approx(0.5)
    assert s["trace_median_ratio"] == {"real-x.rep": 1.0}, "short real traces count on the public set"
    assert s["correct"] == 2 and s["traces"] == 3


def test_short_names_need_no_python_3_9():
    assert bench.short_name("real-gcc.rep") == "gcc"
    assert bench.short_name("val-bc.rep") == "bc"
    assert bench.short_name("synth-tiny.rep") == "synth-tiny"


FAKE_DRIVER = """#!/bin/sh
# a stand-in for build/driver-solution: one trace per directory, named after it
dir=$2
name=$(basename "$dir")
cat <<EOF
{"traces": [{"name": "real-$name.rep", "ops": 150000, "util": 0.9, "ceiling": 0.95, "ratio": 2.5,
  "correct": true, "ops_per_sec": 5e6, "libc_ops_per_sec": 2e6, "checked_ops_per_sec": 1e6},
 {"name": "val-$name.rep", "ops": 120000, "util": 0.8, "ceiling": 1.0, "ratio": 0.5,
  "correct": true, "ops_per_sec": 1e6, "libc_ops_per_sec": 2e6, "checked_ops_per_sec": 1e6}]}
EOF
"""


@pytest.mark.parametrize("python", [sys.executable, str(PY38)])
def test_make_bench_reports_both_sets_in_one_run(tmp_path, python):
    if not Path(python).exists():
        pytest.fail(f"{python} missing: the grader must be checked under Python 3.8")
    driver = tmp_path / "driver"
    driver.write_text(FAKE_DRIVER)
    driver.chmod(driver.stat().st_mode | stat.S_IEXEC)
    pub, val = tmp_path / "pub", tmp_path / "val"
    pub.mkdir()
    val.mkdir()
    proc = subprocess.run([python, "-m", "grader.bench", "--driver", str(driver), "--traces", str(pub),
                           "--validation", str(val), "--runs", "2"],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "== public set:" in out and "== validation set:" in out
    # public: only real-pub.rep is judged (0.9 / 0.95 of its ceiling, ratio 2.5)
    assert "mean 94.7%" in out and "median ratio: 2.50x (meets target" in out
    # validation: both traces are real programs; both are long, and one is below 1x
    assert "mean 87.4%" in out and "lowest 0.50x (BELOW target: >= 1x)" in out
    assert "each run's median ratio 2.50x, 2.50x" in out

    js = subprocess.run([python, "-m", "grader.bench", "--driver", str(driver), "--traces", str(pub),
                         "--set", "validation", "--validation", str(val), "--json"],
                        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    doc = json.loads(js)
    assert list(doc["sets"]) == ["validation"]
    assert doc["sets"]["validation"]["timed_traces"] == 2
