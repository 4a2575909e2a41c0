"""The compile step against hostile sources: tests/attacks/compile/<name>/.

Each attack is a my_alloc.c and an expect.json with its exact outcome:
  ok            whether an object is built
  reason        a regular expression the one-line reason must match (fully);
                @KIT@ in it and in the source stands for the kit's real path
  compilers     which compilers it is tried with (each must give that outcome)
  max_seconds   wall-clock bound of the whole compile step (default 15)
  diagnostics   exact number of diagnostics kept, when given
  max_output    bound on the kept compiler text, when given
  output_mentions / output_lacks   a substring that must / must not be in it
Always: nothing of the kit (the solution's or a trace's first line) in any
message, no process of the compiler left behind, and the grader's own memory
bounded while it reads what the compiler prints.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import build, config, isolate  # noqa: E402

ATTACKS = REPO / "tests" / "attacks" / "compile"
KIT_LINES = [(REPO / "solution" / "my_alloc.c").read_text().splitlines()[0],
             "# synth-fifo"]


def cases():
    out = []
    for d in sorted(ATTACKS.iterdir()):
        exp = json.loads((d / "expect.json").read_text())
        for cc in exp["compilers"]:
            out.append(pytest.param(d.name, cc, id=f"{d.name}-{cc}"))
    return out


def _start_ticks(pid: str) -> int:
    """When a process started, in clock ticks since boot (/proc/PID/stat field 22)."""
    stat = (Path("/proc") / pid / "stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[19])


def _now_ticks() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))


def sandboxed_processes(started_by: int | None = None) -> list[int]:
    """Processes still working in a sandbox (bwrap shows the build directory
    at /sandbox) that started no later than `started_by` (clock ticks since
    boot): a compile of ours left them behind.  Other developers' compilers
    do not count, nor do other gradings' sandboxes started after our build
    returned (a helper grading in parallel)."""
    out = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and os.readlink(p / "cwd") == isolate.SANDBOX_DIR and (
                    started_by is None or _start_ticks(p.name) <= started_by):
                out.append(int(p.name))
        except (OSError, ValueError):
            pass
    return out


def left_behind(started_by: int, before=(), grace_s: float = 10.0) -> list[int]:
    """sandboxed_processes(started_by), less those already there `before` our
    build began, once other gradings' short compiles that were running when
    ours returned have had `grace_s` to end; a process our build left behind
    outlives that."""
    end = time.monotonic() + grace_s
    while True:
        found = [p for p in sandboxed_processes(started_by) if p not in before]
        if not found or time.monotonic() >= end:
            return found
        time.sleep(0.2)


def test_the_leftover_detector_sees_an_old_sandbox_and_not_a_newer_one():
    def sandboxed_sleep():
        return subprocess.Popen(["bwrap", "--dev-bind", "/", "/", "--tmpfs", isolate.SANDBOX_DIR,
                                 "--chdir", isolate.SANDBOX_DIR, "sleep", "30"])
    old = sandboxed_sleep()
    try:
        time.sleep(0.5)
        between = _now_ticks()
        time.sleep(0.05)
        new = sandboxed_sleep()
        try:
            time.sleep(0.5)
            found = left_behind(between, grace_s=0.5)
            assert found, "an older sandboxed process was not seen"
            assert all(_start_ticks(str(pid)) <= between for pid in found)
            assert not any(_start_ticks(str(pid)) > between for pid in sandboxed_processes(between))
        finally:
            new.kill()
            new.wait()
    finally:
        old.kill()
        old.wait()


@pytest.mark.parametrize("name,cc", cases())
def test_compile_attack(name, cc, tmp_path, monkeypatch):
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} is not installed (tools/install-deps.sh installs it)")
    d = ATTACKS / name
    exp = json.loads((d / "expect.json").read_text())
    kit = str(REPO)
    src = (d / "my_alloc.c").read_bytes().replace(b"@KIT@", kit.encode())
    monkeypatch.setenv("CC", cc)
    cfg = dataclasses.replace(config.load(), build_timeout_s=30.0)
    already = set(sandboxed_processes())     # other gradings' (a helper's), not ours
    t0 = time.monotonic()
    r = build.compile_object(src, cfg, "x/my_alloc.c", tmp_path / "out.o")
    elapsed = time.monotonic() - t0
    returned = _now_ticks()
    assert r.isolation == "bwrap"
    assert r.ok is exp["ok"], r.reason
    assert (tmp_path / "out.o").exists() is exp["ok"]
    want = exp["reason"].replace("@KIT@", re.escape(kit))
    assert re.fullmatch(want, r.reason), r.reason
    assert elapsed < exp.get("max_seconds", 15), elapsed
    if "diagnostics" in exp:
        assert len(r.diagnostics) == exp["diagnostics"]
    if "max_output" in exp:
        assert len(r.output) <= exp["max_output"]
    if "output_mentions" in exp:
        assert exp["output_mentions"] in r.output
    if "output_lacks" in exp:
        assert exp["output_lacks"] not in r.output
        assert all(exp["output_lacks"] not in (dg.file or "") for dg in r.diagnostics)
    everything = r.output + r.reason + "".join(dg.message for dg in r.diagnostics)
    for line in KIT_LINES:
        assert line not in everything
    assert left_behind(returned, already) == []
    # what the grader holds is the capped text, whatever the compiler printed
    assert len(r.output) <= build.OUTPUT_CAP + 1000


def test_every_attack_has_an_expectation():
    for d in ATTACKS.iterdir():
        exp = json.loads((d / "expect.json").read_text())
        assert {"ok", "reason", "compilers"} <= set(exp), d.name
        first = (d / "my_alloc.c").read_text().splitlines()[0]
        assert first.startswith("/* Category: "), d.name


def test_a_flood_keeps_the_graders_memory_bounded(tmp_path):
    """61 MB of warnings read through a 64 KiB window: the grader's peak
    memory grows by far less than what the compiler printed."""
    src = (ATTACKS / "warning-flood" / "my_alloc.c").read_bytes()
    cfg = dataclasses.replace(config.load(), build_timeout_s=60.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = build.compile_object(src, cfg, "x/my_alloc.c", tmp_path / "o.o")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert r.ok and "the compiler printed" in r.output
    printed = int(re.search(r"the compiler printed (\d+) bytes", r.output).group(1))
    assert printed > 50_000_000
    assert grown_kib < 20_000


def test_the_build_directory_holds_only_the_submission_and_the_contract(tmp_path):
    src = b"int my_init(void) { return 0; }\n"
    d = build.make_build_dir(src)
    try:
        files = sorted(str(p.relative_to(d)) for p in d.rglob("*"))
        assert files == ["include", "include/memlib.h", "include/my_alloc.h", "my_alloc.c"]
        assert (d / "my_alloc.c").read_bytes() == src
    finally:
        shutil.rmtree(d)


def test_an_oversized_submission_is_refused_before_compiling(tmp_path):
    big = tmp_path / "my_alloc.c"
    big.write_bytes(b"/*" + b"x" * build.MAX_SOURCE_BYTES + b"*/\n")
    r = build.compile_submission(big, tmp_path / "w", config.load(), shown="big/my_alloc.c")
    assert not r.ok and r.reason.startswith("big/my_alloc.c: cannot be read (")


def test_a_machine_that_cannot_confine_gives_a_clear_build_failure(tmp_path, monkeypatch):
    """SLABLAB_ISOLATION names a layer that cannot work: no compile runs
    unconfined by accident; the build fails with the reason."""
    monkeypatch.setattr(build.isolate, "_probed", {})
    monkeypatch.setenv("SLABLAB_ISOLATION", "nonsense")
    r = build.compile_object(b"int my_init(void) { return 0; }\n", config.load(), "x/my_alloc.c",
                             tmp_path / "o.o")
    assert not r.ok and not (tmp_path / "o.o").exists()
    assert r.reason.startswith("the compiler cannot be confined on this machine: SLABLAB_ISOLATION=nonsense")
