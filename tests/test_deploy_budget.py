"""The grading time budget (grader/schedule.py) and what it guarantees.

* A real allocator that hangs on every request (tests/deploy_allocators/
  spin.c) graded on every public trace with a 20 s budget: the grading ends
  within the budget (plus start-up), every trace has a verdict (timeout or
  skipped) and the notes say what was cut or skipped.
* With a fake driver (a script that answers like the driver): traces run
  shortest first; when the budget runs out the rest are reported "skipped"
  and named in a note, never dropped; results come back in trace order.
* A trace that timed out in an unchecked timing replay is replayed without
  timing and keeps its correctness and utilization, with a note saying so.
* The shrinker never shrinks a timeout, and the reproducers share one
  bounded budget.
"""
from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from pathlib import Path

from deployutil import ROOT

sys.path.insert(0, str(ROOT))
from grader import runner, schedule, shrink  # noqa: E402


def test_hanging_allocator_finishes_within_the_budget(tmp_path):
    out = tmp_path / "r.json"
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "grader", "tests/deploy_allocators/spin.c", "-q",
                        "--budget", "20", "--json", str(out), "--workdir", str(tmp_path / "w")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert took < 20 + 8, took                       # the budget, plus interpreter and build
    assert doc["score"] == 0 and doc["traces"]
    kinds = {t["error"]["kind"] for t in doc["traces"]}
    assert kinds <= {"timeout", "skipped"} and "timeout" in kinds
    assert len(doc["traces"]) == len(list((ROOT / "traces").glob("*.rep")))
    notes = " ".join(doc["notes"])
    assert "to fit the grading time budget" in notes or "not run, scored 0" in notes
    assert not any(t.get("reproducer") for t in doc["traces"])     # timeouts are never shrunk


def fake_driver(tmp: Path, body: str) -> str:
    f = tmp / "driver"
    f.write_text("#!/bin/sh\n" + body)
    f.chmod(f.stat().st_mode | stat.S_IXUSR)
    return str(f)


# A driver that "replays" a trace in (its size in bytes / 100) seconds, capped by -T.
SLOW = r'''
T=10; timing=1; samples=0
while [ $# -gt 0 ]; do case "$1" in -T) T=$2; shift;; -f) f=$2; shift;; --samples) samples=$2; shift;; --no-timing) timing=0;; esac; shift; done
n=$(basename "$f"); size=$(wc -c < "$f"); ops=$(grep -c '^[afr]' "$f")
echo "$n" >> "$(dirname "$0")/order"
echo "$samples" >> "$(dirname "$0")/samples"
need=$(( size / 100 ))
if awk "BEGIN{exit !($need > $T)}"; then
  sleep "$T"
  printf '{"version":1,"traces":[{"name":"%s","correct":false,"error":{"kind":"timeout","op":0,"line":1,"message":"no result after %s s"},"ops":%s}]}\n' "$n" "$T" "$ops"
else
  sleep "$need"
  printf '{"version":1,"traces":[{"name":"%s","correct":true,"error":null,"ops":%s,"peak_payload":90,"heap_size":100,"util":0.9,"ceiling":1.0}]}\n' "$n" "$ops"
fi
'''


def test_shortest_first_and_skipped_traces_are_named(tmp_path):
    drv = fake_driver(tmp_path, SLOW)
    specs = []
    for name, size in (("big.rep", 900), ("small.rep", 100), ("mid.rep", 300), ("huge.rep", 2000)):
        (tmp_path / name).write_text("x" * size)
        specs.append(runner.TraceSpec(tmp_path / name))
    t0 = time.monotonic()
    run = schedule.run(drv, specs, timeout_s=10, samples=1, timing=False,
                       deadline=time.monotonic() + schedule.RESERVE_S + 7)
    took = time.monotonic() - t0
    assert took < 7 + schedule.RESERVE_S + 1, took
    assert (tmp_path / "order").read_text().split()[:3] == ["small.rep", "mid.rep", "big.rep"]
    by = {t.name: t for t in run.traces}
    assert [t.name for t in run.traces] == ["big.rep", "small.rep", "mid.rep", "huge.rep"]
    assert by["small.rep"].correct and by["mid.rep"].correct
    assert by["huge.rep"].error["kind"] in ("skipped", "timeout")
    assert any("huge.rep" in n for n in run.notes)


def test_notes_never_name_a_hidden_trace(tmp_path):
    drv = fake_driver(tmp_path, SLOW)
    (tmp_path / "hidden-secret.rep").write_text("x" * 2000)      # would need 20 s
    run = schedule.run(drv, [runner.TraceSpec(tmp_path / "hidden-secret.rep", hidden=True)],
                       timeout_s=10, samples=1, timing=False,
                       deadline=time.monotonic() + schedule.RESERVE_S + 2)
    assert run.traces[0].error["kind"] == "timeout" and run.notes
    assert not any("secret" in n for n in run.notes) and any("a hidden trace" in n for n in run.notes)


def test_timing_samples_shrink_when_the_pace_would_overrun(tmp_path):
    drv = fake_driver(tmp_path, SLOW)
    specs = []
    for k in range(5):
        (tmp_path / f"t{k}.rep").write_text("x" * (100 + k))      # 1 s each
        specs.append(runner.TraceSpec(tmp_path / f"t{k}.rep"))
    run = schedule.run(drv, specs, timeout_s=10, samples=5, timing=True,
                       deadline=time.monotonic() + schedule.RESERVE_S + 4.5)
    used = [int(x) for x in (tmp_path / "samples").read_text().split()]
    assert used[0] == 5 and min(used) < 5
    assert any("timing samples reduced" in n for n in run.notes)


SLOW_TIMING = r'''
timing=1
for a in "$@"; do [ "$a" = --no-timing ] && timing=0; [ "$prev" = -f ] && f=$a; prev=$a; done
n=$(basename "$f")
if [ $timing = 1 ]; then
  printf '{"version":1,"traces":[{"name":"%s","correct":false,"error":{"kind":"timeout","op":5,"line":6,"message":"no result after 10 s: still in op 5 of an unchecked timing replay (an infinite loop, e.g. a cycle in a free list?)"},"ops":9}]}\n' "$n"
else
  printf '{"version":1,"traces":[{"name":"%s","correct":true,"error":null,"ops":9,"peak_payload":3200,"util":0.8,"ceiling":0.9,"heap_size":4000}]}\n' "$n"
fi
'''


def test_too_slow_to_time_keeps_correctness_and_utilization(tmp_path):
    drv = fake_driver(tmp_path, SLOW_TIMING)
    (tmp_path / "t.rep").write_text("".join(f"a {i} 8\n" for i in range(5)) +
                                     "".join(f"f {i}\n" for i in range(4)))   # 9 ops
    run = schedule.run(drv, [runner.TraceSpec(tmp_path / "t.rep")], timeout_s=10, samples=3,
                       timing=True)
    (t,) = run.traces
    assert t.correct and t.util == 0.8 and t.ratio is None
    assert any("too slow for its timing replays" in n and "throughput scored 0" in n for n in run.notes)


def test_timeouts_are_never_shrunk_and_shrinking_shares_a_budget(tmp_path):
    class T:
        hidden, path = False, str(ROOT / "traces/short-03-reuse.rep")
        error = {"kind": "timeout", "op": 1}
        reproducer = None

    class Ctx:
        driver, workdir, timeout_s = "/nonexistent", tmp_path, 10
        hooks_deadline = time.monotonic() + 100

    shrink.failure_hook(object(), T, Ctx)            # a timeout: not even started
    assert T.reproducer is None
    T.error = {"kind": "overlap", "op": 1}
    Ctx.hooks_deadline = time.monotonic() - 1         # the shared budget is spent
    shrink.failure_hook(object(), T, Ctx)
    assert T.reproducer is None
