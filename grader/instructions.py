"""--speed instructions: a deterministic throughput measure with valgrind.

For each allocator (the submission's, then libc's) one valgrind callgrind run
replays every already-correct trace once, unchecked and untimed, in-process
(`driver --replay-only [-l]`), dumping a profile after each replay
(--dump-after=replay_timed).  From each dump we add up the inclusive cost of
the calls that replay_timed -- the same loop the wall-clock timing runs --
makes into the allocator (my_alloc, my_free, the realloc path; malloc, free,
realloc for libc), leaving out the driver's own set-up (begin: my_init,
heap reset) and clock reads.  Instructions per operation = that cost / ops;
the speed ratio = libc's instructions per op / the submission's, which does
not depend on the machine's load: a regrade gives the same number.

Nothing is counted for a trace that failed its checked run.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from .model import TraceResult

# Functions whose calls from replay_timed are the allocator's work.
ALLOCATOR_ENTRIES = {"my_alloc", "my_free", "my_realloc", "call_realloc", "student_realloc",
                     "libc_alloc", "malloc", "free", "realloc"}
ALLOCATOR_PATTERNS = (re.compile(r"^__(memcpy|memmove)\w*$"), re.compile(r"^(memcpy|memmove)$"))
REPLAY_FUNCTION = "replay_timed"


def clean_name(fn: str) -> str:
    """'malloc@@GLIBC_2.2.5' -> 'malloc'; "my_alloc'2" (recursion) -> 'my_alloc'."""
    fn = re.sub(r"'\d+$", "", fn.strip())
    return fn.split("@", 1)[0]


def is_allocator_entry(fn: str) -> bool:
    return fn in ALLOCATOR_ENTRIES or any(p.match(fn) for p in ALLOCATOR_PATTERNS)


def replay_cost(profile_text: str, caller: str = REPLAY_FUNCTION) -> tuple[int, int]:
    """(instructions, calls) of the allocator calls made by `caller` in one
    callgrind profile (written with --compress-strings=no --compress-pos=no)."""
    cost = 0
    calls = 0
    fn = None
    callee = None
    pending = False
    for line in profile_text.splitlines():
        if line.startswith("fn="):
            fn, callee, pending = clean_name(line[3:]), None, False
        elif line.startswith("cfn="):
            callee = clean_name(line[4:])
        elif line.startswith("calls="):
            pending = True
            n = line[6:].split()
            count = int(n[0]) if n and n[0].isdigit() else 0
            if fn == caller and callee and is_allocator_entry(callee):
                calls += count
        elif pending and line[:1].isdigit():
            pending = False
            if fn == caller and callee and is_allocator_entry(callee):
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    cost += int(parts[1])
    return cost, calls


def _limit_child(cpu_seconds: float) -> None:
    """Resource limits for the valgrind run.  valgrind shares the process with
    the allocator, so the driver's seccomp seal cannot be installed here (it
    would filter valgrind's own system calls): this run is contained by these
    limits and by the static checks only, and happens only after the sandboxed
    checked replay of the same traces passed.  README "grader" says so."""
    import resource
    cpu = int(cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))


def callgrind_counts(driver: str, traces: list[str], libc: bool, timeout_s: float,
                     scratch: Path) -> tuple[dict[str, int], str]:
    """{trace file name: instructions} for one allocator, or ({}, problem)."""
    prefix = scratch / ("libc" if libc else "mine")
    for old in scratch.glob(prefix.name + ".*"):
        old.unlink()
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p",
           f"--dump-after={REPLAY_FUNCTION}", "--compress-strings=no", "--compress-pos=no",
           "--dump-instr=no", "--error-exitcode=0", driver, "--replay-only"]
    if libc:
        cmd.append("-l")
    for t in traces:
        cmd += ["-f", t]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "MALLOC_"))}
    env.update(LC_ALL="C", LD_BIND_NOW="1")     # no lazy symbol binding in the counts
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env,
                           stdin=subprocess.DEVNULL, errors="replace", start_new_session=True,
                           preexec_fn=lambda: _limit_child(timeout_s))
    except FileNotFoundError:
        return {}, "valgrind is not installed (apt-get install valgrind)"
    except subprocess.TimeoutExpired:
        return {}, f"valgrind did not finish within {timeout_s:g} s"
    names = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
    if p.returncode not in (0, 1) or not names:
        return {}, f"valgrind run failed (status {p.returncode}): {p.stderr.strip()[-300:]}"
    parts = sorted(scratch.glob(prefix.name + ".*.*"), key=lambda f: int(f.name.rsplit(".", 1)[1]))
    if len(parts) < len(names):
        return {}, f"callgrind wrote {len(parts)} profiles for {len(names)} replays"
    counts = {}
    for name, part in zip(names, parts):
        cost, _ = replay_cost(part.read_text(errors="replace"))
        counts[name] = cost
    return counts, ""


def without_debug_info(driver: str, scratch: Path) -> str:
    """A copy of the driver with its DWARF removed (the symbol table stays, so
    function names do too): valgrind 3.19 cannot read clang 14's DWARF 5,
    and names are all the counting needs."""
    copy = scratch / "driver-nodebug"
    try:
        p = subprocess.run(["objcopy", "--strip-debug", driver, str(copy)], capture_output=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return driver
    return str(copy) if p.returncode == 0 and copy.exists() else driver


def measure(driver: str, specs, traces: list[TraceResult], cfg, workdir: Path) -> str:
    """Fill t.instructions for every correct trace; return "" or a problem."""
    by_name = {t.name: t for t in traces}
    paths = [str(s.path) for s in specs if s.name in by_name and by_name[s.name].correct]
    if not paths:
        return ""
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="callgrind-") as tmp:
        driver = without_debug_info(driver, Path(tmp))
        mine, err = callgrind_counts(driver, paths, False, cfg.instructions_timeout_s, Path(tmp))
        if err:
            return err
        libc, err = callgrind_counts(driver, paths, True, cfg.instructions_timeout_s, Path(tmp))
        if err:
            return err
    for name, t in by_name.items():
        if not t.correct or name not in mine or name not in libc or not t.ops:
            continue
        m, l = mine[name] / t.ops, libc[name] / t.ops
        t.instructions = {"my_alloc": round(m, 2), "libc": round(l, 2),
                          "ratio": round(l / m, 4) if m > 0 else None}
    return ""
