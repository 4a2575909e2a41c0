"""--speed instructions runs valgrind confined (grader/instructions.py).

valgrind shares the process with the allocator, so the host's seal cannot
be installed there; isolate.run_confined contains the run instead.  A
hostile allocator (tests/attacks/instructions/snoop) tries to read a kit
file and to write a file outside its directory: run plainly it does both
(so the test can fail), counted by the grader it does neither, and its
instructions are still counted.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import instructions, isolate, link  # noqa: E402

TRACE = REPO / "traces" / "short-03-reuse.rep"
KIT_FILE = REPO / "solution" / "my_alloc.c"


@pytest.fixture(scope="module")
def kit():
    """The kit's binaries (build/allocator-solution, build/libc-host, ...)."""
    subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "kit"],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def snoop_driver(kit, tmp_path_factory):
    d = tmp_path_factory.mktemp("snoop")
    mark = Path(tempfile.gettempdir()) / f"slablab-snoop-{uuid.uuid4().hex}"
    obj, exe = d / "my_alloc.o", d / "driver"
    subprocess.run(["cc", "-std=c11", "-O2", "-I", str(REPO / "include"), "-include", "my_alloc.h",
                    f'-DSNOOP_KIT="{KIT_FILE}"', f'-DSNOOP_MARK="{mark}"', "-c",
                    str(REPO / "tests" / "attacks" / "instructions" / "snoop" / "my_alloc.c"),
                    "-o", str(obj)], check=True)
    link.link_allocator(str(obj), str(exe))      # its allocator host (named driver here)
    yield exe, mark
    if mark.exists():
        mark.unlink()


def test_unconfined_the_snoop_reads_the_kit_and_writes_outside(snoop_driver):
    exe, mark = snoop_driver
    subprocess.run([str(exe), "--replay-only", "-f", str(TRACE)], check=True, capture_output=True,
                   timeout=60)
    assert mark.read_text() == "kit-readable\n"
    mark.unlink()


def test_counted_confined_it_does_neither_and_is_still_counted(snoop_driver):
    exe, mark = snoop_driver
    tmp_path = Path(tempfile.mkdtemp(prefix="counted-"))      # reachable by uid 65534
    os.chmod(tmp_path, 0o755)
    c = instructions.callgrind_count(str(exe), instructions.MINE_ARGS, str(TRACE), 300, tmp_path)
    assert c.problem == "" and c.layer == isolate.probe_layer()[0] == "bwrap"
    assert c.instructions > 0
    assert not mark.exists()
    libc = instructions.callgrind_count(str(exe), instructions.LIBC_ARGS, str(TRACE), 300, tmp_path)
    assert libc.problem == "" and libc.instructions > 0
    assert list(tmp_path.iterdir()) == []       # the sandbox directories are gone
    tmp_path.rmdir()


def test_the_sandbox_holds_only_the_binary_and_the_one_trace(snoop_driver, tmp_path):
    exe, _ = snoop_driver
    d = instructions._sandbox_with(str(exe), [str(TRACE)], tmp_path)
    files = sorted(str(p.relative_to(d)) for p in d.rglob("*"))
    assert files == ["bin", "bin/driver", "trace.rep"]
    assert (d / "trace.rep").read_bytes() == TRACE.read_bytes()


def test_a_hanging_replay_is_stopped(tmp_path):
    """The budget is the wall clock of the whole confined run."""
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nsleep 60\n")
    os.chmod(sleeper, 0o755)
    c = instructions.callgrind_count(str(sleeper), (), str(TRACE), 3, tmp_path / "w")
    assert c.instructions is None and c.problem == "valgrind did not finish within 3 s"


# ---- the counted run is held to the sealed checked replay ---------------------------

def _driver_digest(driver: Path, trace: Path) -> str:
    import json
    p = subprocess.run([str(driver), "--json", "--no-timing", "-f", str(trace)], capture_output=True,
                       text=True, timeout=120)
    return json.loads(p.stdout)["traces"][0]["replay_digest"]


def test_the_reference_counted_run_reproduces_its_checked_replay(kit, tmp_path):
    """The digest the host prints under valgrind is the checker's for the sealed replay."""
    trace = REPO / "traces" / "synth-realloc.rep"
    expected = _driver_digest(REPO / "build" / "driver-solution", trace)
    d = Path(tempfile.mkdtemp(prefix="counted-"))
    os.chmod(d, 0o755)
    try:
        c = instructions.callgrind_count(str(REPO / "build" / "allocator-solution"), instructions.MINE_ARGS,
                                         str(trace), 300, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert c.problem == "" and c.instructions > 0
    assert c.digest == expected


def test_a_forged_digest_line_leaves_no_single_digest():
    host = b"trace.rep 10 ok digest=0123456789abcdef\n"
    assert instructions.printed_digests(host, 1) == ["0123456789abcdef"]
    assert instructions.printed_digests(b"trace.rep 10 ok digest=ffffffffffffffff\n" + host, 1) == [None]
    assert instructions.printed_digests(b"trace.rep 10 ok digest=0123\n", 1) == [None]
    assert instructions.printed_digests(b"", 1) == [None]


def test_my_init_is_counted_with_the_ops():
    """Work done in my_init (where a cheat would precompute) is the allocator's too."""
    profile = "\n".join([
        "events: Ir", "fn=replay_round", "cfn=my_init", "calls=1 0", "0 5000",
        "cfn=timed_replay", "calls=1 0", "0 999", "fn=timed_replay", "cfn=my_alloc", "calls=10 0",
        "0 700", "fn=do_op", "cfn=my_free", "calls=10 0", "0 300", "fn=main", "cfn=my_alloc",
        "calls=1 0", "0 123456", ""])
    cost, calls = instructions.replay_cost(profile)
    assert (cost, calls) == (6000, 21)


@pytest.mark.parametrize("attack", ["speed-valgrind-bump", "speed-valgrind-forged-digest"])
def test_an_allocator_that_differs_under_valgrind_is_tamper(attack, tmp_path):
    """The attacks tests/attacks/speed-valgrind-bump (another allocator under valgrind) and
    -forged-digest (the same, printing the host's line itself), graded: the trace is tamper."""
    import json
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "grader",
                        str(REPO / "tests/attacks" / attack / "my_alloc.c"), "--speed", "instructions",
                        "-f", str(REPO / "traces/synth-fifo.rep"), "--json", str(out), "--workdir",
                        str(tmp_path / "w")], cwd=REPO, capture_output=True, text=True, timeout=600)
    doc = json.loads(out.read_text())
    (t,) = doc["traces"]
    assert not t["correct"] and t["error"]["kind"] == "tamper", p.stdout[-2000:]
    assert "under valgrind (--speed instructions)" in t["error"]["message"]
    assert doc["score"] == 0 and t["instructions"] is None


def test_one_run_for_several_traces_counts_what_separate_runs_count(kit, tmp_path):
    exe = str(REPO / "build" / "allocator-solution")
    traces = [str(REPO / "traces" / n) for n in ("short-03-reuse.rep", "short-06-realloc.rep")]
    d = Path(tempfile.mkdtemp(prefix="counted-"))
    os.chmod(d, 0o755)
    try:
        together = instructions.callgrind_counts(exe, instructions.MINE_ARGS, traces, 300, d)
        apart = [instructions.callgrind_count(exe, instructions.MINE_ARGS, t, 300, d) for t in traces]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert [c.problem for c in together] == ["", ""]
    assert [c.instructions for c in together] == [c.instructions for c in apart]
    assert [c.digest for c in together] == [c.digest for c in apart]
    assert together[0].digest == _driver_digest(REPO / "build" / "driver-solution", Path(traces[0]))
    assert together[1].digest == _driver_digest(REPO / "build" / "driver-solution", Path(traces[1]))


def test_libc_counts_are_kept_per_binary_and_trace(kit, tmp_path, monkeypatch):
    if not instructions.cache_trusted():
        pytest.fail(f"this test needs the bwrap or landlock layer, not {isolate.probe_layer()[0]}")
    libc = str(REPO / "build" / "libc-host")
    trace = str(REPO / "traces" / "short-03-reuse.rep")
    cache = tmp_path / "cache.json"
    d = Path(tempfile.mkdtemp(prefix="counted-"))
    os.chmod(d, 0o755)
    try:
        (first,) = instructions.libc_counts(libc, [trace], 300, d, cache=cache)
        assert first.problem == "" and first.instructions > 0 and cache.is_file()
        runs = []
        real = instructions.callgrind_counts
        monkeypatch.setattr(instructions, "callgrind_counts",
                            lambda *a, **k: runs.append(a[2]) or real(*a, **k))
        (again,) = instructions.libc_counts(libc, [trace], 300, d, cache=cache)
        assert again.instructions == first.instructions and runs == []       # from the cache
        other = tmp_path / "libc-host-copy"
        shutil.copyfile(libc, other)
        os.chmod(other, 0o755)
        with open(other, "ab") as f:
            f.write(b"\0")                                                  # another binary
        instructions.libc_counts(str(other), [trace], 300, d, cache=cache)
        assert runs == [[trace]]                                            # counted anew
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_count_libc_fills_the_cache_a_grading_reads(tmp_path):
    """`python3 -m grader --count-libc` (a platform's setup runs it) counts libc's side once."""
    import json
    traces = [REPO / "traces" / n for n in ("short-01-one-block.rep", "short-03-reuse.rep")]
    instructions.LIBC_CACHE.unlink(missing_ok=True)           # a cache: counted anew below
    args = [x for t in traces for x in ("-f", str(t))]
    p = subprocess.run([sys.executable, "-m", "grader", "--count-libc", *args, "--workdir", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert f"libc's instructions counted on {len(traces)} traces" in p.stdout
    kept = json.loads(instructions.LIBC_CACHE.read_text())
    libc = instructions._digest_of(REPO / "build" / "libc-host")
    for t in traces:
        assert kept[f"{libc}:{instructions._digest_of(t)}"] > 0


def test_libc_counts_do_not_depend_on_the_traces_before(kit):
    """glibc's malloc keeps free chunks across traces in one process (counted together,
    synth-fifo's count moved by 0.2% with the traces before it): each is counted alone."""
    libc = str(REPO / "build" / "libc-host")
    traces = [str(REPO / "traces" / n) for n in ("short-06-realloc.rep", "synth-fifo.rep")]
    d = Path(tempfile.mkdtemp(prefix="counted-"))
    os.chmod(d, 0o755)
    try:
        forward = instructions.libc_counts(libc, traces, 300, d, cache=None)
        backward = instructions.libc_counts(libc, traces[::-1], 300, d, cache=None)[::-1]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert [c.problem for c in forward] == ["", ""]
    assert [c.instructions for c in forward] == [c.instructions for c in backward]


def test_instruction_mode_takes_one_wall_clock_sample_per_trace(tmp_path):
    """The timed replays still run and are verified, but the score does not use them: one
    sample (the driver may add up to 3x on a short, noisy trace), not the config's 5."""
    import json
    from grader import config
    assert config.load().samples > 3
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, "-m", "grader", str(REPO / "solution/my_alloc.c"), "--speed",
                    "instructions", "-f", str(REPO / "traces/synth-fifo.rep"), "--json", str(out),
                    "--workdir", str(tmp_path / "w")], cwd=REPO, capture_output=True, text=True, timeout=600)
    (t,) = json.loads(out.read_text())["traces"]
    assert t["correct"] and t["instructions"]["ratio"] > 0
    assert 1 <= t["samples"] <= 3 and t["ratio"] > 0
