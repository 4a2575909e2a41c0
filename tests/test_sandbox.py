"""Containment of hostile submissions (tests/buggy/hostile-*/my_alloc.c).

Each hostile allocator is a correct bump allocator that misbehaves only when
asked for exactly 12345 bytes (tests/buggy/traces/trigger.rep).  One driver
run replays a normal trace, the trigger trace, and another normal trace: the
trigger trace must get its documented verdict, and the two others exactly the
results the same allocator gets when the trigger is not in the run.
Submissions that cheat by defining libc functions are rejected by the grader's
static checks, which are exercised here through `python3 -m grader`.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "buggy"))
import harness  # noqa: E402

TRIGGER_OP = "during op 1 (line 3: a 1 12345)"


def forbidden(name: str, raw: bool = False) -> re.Pattern:
    how = ", made directly by a syscall instruction in the program's code" if raw else ""
    return re.compile(rf"forbidden system call: {name} \(number \d+\){re.escape(how)} "
                      + re.escape(TRIGGER_OP))


# member: (kind, message)
EXPECTED = {
    "open-passwd": ("syscall", forbidden("openat")),
    "read-hidden-traces": ("syscall", forbidden("openat")),
    "fork-bomb": ("syscall", forbidden("clone")),
    "spawn-shell": ("syscall", forbidden("rt_sigaction")),   # system() first sets up signals
    "kill-parent": ("syscall", forbidden("getppid")),
    "socket": ("syscall", forbidden("socket")),
    "sleep": ("syscall", forbidden("clock_nanosleep")),
    "raw-syscall": ("syscall", forbidden("mmap", raw=True)),
    "forge-result": ("syscall", forbidden("write")),          # fd 3 is not the result channel
    # Zeroing its own process's data runs into the host's sealed malloc pool
    # (PROT_NONE) and wrecks only the allocator host; the checker, another
    # process, is untouched.
    "scribble-driver": ("signal", re.compile(
        r"SIGSEGV at address 0x[0-9a-f]+, far outside the heap, " + re.escape(TRIGGER_OP))),
    # The sealed host's only malloc gives nothing (glibc's is not linked).
    "hog-50gb": ("null", re.compile(re.escape(
        "my_alloc(12345) for id 1 returned NULL, but the heap is only 16 bytes (mem_sbrk can "
        "grant up to 2147483648)"))),
}
# Tricks that can no longer do anything at all: the trace is simply graded.
# forge-write replaces write() to forge result records, but results are
# computed by the checker, not sent by the allocator's process.
HARMLESS = {"forge-write"}
# Cheats the driver alone cannot see (they are the driver, once linked in): the
# static checks reject them.  member: the symbol named in the violation.
INTERPOSERS = {"own-clock": "clock_gettime", "forge-write": "write"}
NORMAL = ["short-03-reuse", "short-05-coalesce"]


@pytest.fixture(scope="module")
def drivers(tmp_path_factory):
    names = [f"hostile-{n}" for n in set(EXPECTED) | set(INTERPOSERS) | HARMLESS]
    return harness.build_all(names, tmp_path_factory.mktemp("hostile"))


def test_every_hostile_member_is_tested():
    members = {p.parent.name for p in harness.CORPUS.glob("hostile-*/my_alloc.c")}
    assert members == {f"hostile-{n}" for n in set(EXPECTED) | set(INTERPOSERS) | HARMLESS}


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_harmless_tricks_change_nothing(drivers, name):
    doc, proc = harness.run(drivers[f"hostile-{name}"], [NORMAL[0], "trigger", NORMAL[1]], timeout_s=5)
    assert proc.returncode == 0, proc.stdout
    assert [t["correct"] for t in doc["traces"]] == [True, True, True]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contained_with_its_verdict_and_others_unaffected(drivers, name, tmp_path):
    kind, message = EXPECTED[name]
    driver = drivers[f"hostile-{name}"]
    baseline, _ = harness.run(driver, NORMAL)
    doc, proc = harness.run(driver, [NORMAL[0], "trigger", NORMAL[1]], timeout_s=5)
    assert proc.returncode == 1
    before, hit, after = doc["traces"]
    assert hit["correct"] is False
    assert hit["error"]["kind"] == kind
    assert message.fullmatch(hit["error"]["message"]), hit["error"]["message"]
    for got, want in zip([before, after], baseline["traces"]):
        assert got["correct"] is True
        assert (got["heap_size"], got["util"]) == (want["heap_size"], want["util"])
    assert doc["totals"]["correct"] == 2


def test_the_shell_never_ran(drivers):
    marker = Path("/tmp/slablab-pwned")
    marker.unlink(missing_ok=True)
    harness.run(drivers["hostile-spawn-shell"], ["trigger"])
    assert not marker.exists()


def test_own_clock_cannot_fake_speed_in_the_grader(drivers, tmp_path):
    """The driver alone would time with the allocator's clock; the grader
    refuses the submission before any trace runs."""
    for name, symbol in INTERPOSERS.items():
        out = tmp_path / f"{name}.json"
        p = subprocess.run([sys.executable, "-m", "grader", str(harness.CORPUS / f"hostile-{name}"),
                            "-f", str(harness.TRACES / "trigger.rep"), "--no-timing", "-q",
                            "--json", str(out), "--workdir", str(tmp_path / "work")],
                           cwd=harness.REPO, capture_output=True, text=True, timeout=300)
        assert out.exists(), p.stderr
        doc = json.loads(out.read_text())
        assert doc["score"] == 0 and doc["zeroed"] is True
        rules = {(v["rule"], v["symbol"]) for v in doc["static"]["violations"]}
        assert ("interposition", symbol) in rules


def test_timing_replays_run_sealed(drivers):
    """The libc timing replays (glibc malloc: brk, mmap, mremap, munmap) and
    printf debugging all work inside the seal: a bump allocator times fine."""
    doc, proc = harness.run(drivers["hostile-sleep"], ["short-08-big", "synth-large"],
                            "--samples", "2", timing=True, timeout_s=20)
    for t in doc["traces"]:
        assert proc.returncode == 0 and t["correct"] is True
        assert t["samples"] >= 1 and t["ratio"] > 0 and t["libc_ops_per_sec"] > 0
