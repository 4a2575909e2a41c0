"""--speed instructions: a deterministic throughput measure with valgrind.

For each already-correct trace and each allocator (the submission's, then
libc's) one valgrind callgrind run replays that trace once, unchecked and
untimed (`driver --replay-only [-l] -f TRACE`), dumping a profile after the
replay (--dump-after=replay_timed).  valgrind shares the process with the
allocator, so the host's seccomp seal cannot be installed under it; the run
is contained instead by isolate.run_confined: its own namespaces (no
network), a directory holding only the binary and that ONE trace, the
system directories read-only and nothing of the kit, rlimits, and the whole
process tree killed on a timeout.  From each dump we add up the inclusive cost of
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
import shutil
import tempfile
from pathlib import Path

from . import isolate
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


# How each allocator's unchecked replay of ONE trace is started, inside the
# sandbox directory (binary copied in as "bin/<name>", the trace as
# "trace.rep").  Today both are `driver --replay-only [-l]`; with the
# allocator host they become `allocator --replay-only -f TRACE` and
# `libc-host --replay-only -l -f TRACE` (pass libc_binary=build/libc-host).
MINE_ARGS = ("--replay-only", "-f", "{trace}")
LIBC_ARGS = ("--replay-only", "-l", "-f", "{trace}")
TRACE_NAME = "trace.rep"
VALGRIND_MEMORY_BYTES = 32 << 30     # valgrind's own reservations plus the host's heap region


def _sandbox_with(binary: str, trace: str, parent: Path) -> Path:
    """A fresh directory holding only the binary (its debug info removed)
    and the one trace being counted."""
    parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and not isolate.reachable_by_nobody(str(parent)):
        parent = Path(tempfile.gettempdir())    # so that bwrap can run as the unprivileged uid
    d = Path(tempfile.mkdtemp(prefix="callgrind-", dir=str(parent)))
    os.chmod(d, 0o755)
    (d / "bin").mkdir()
    target = d / "bin" / Path(binary).name
    shutil.copyfile(binary, target)
    os.chmod(target, 0o755)
    without_debug_info(target)
    shutil.copyfile(trace, d / TRACE_NAME)
    return d


def callgrind_count(binary: str, args, trace: str, timeout_s: float, parent: Path,
                    layer: str | None = None, hide=None) -> tuple[int | None, str, str]:
    """(instructions of the allocator calls in the one replay, problem or "",
    isolation layer) for one allocator on one trace, under valgrind run by
    isolate.run_confined: no network, no view of the kit, only the binary
    and the trace."""
    d = _sandbox_with(binary, trace, parent)
    try:
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=profile.%p",
                f"--dump-after={REPLAY_FUNCTION}", "--compress-strings=no", "--compress-pos=no",
                "--dump-instr=no", "--error-exitcode=0", "--vgdb=no", "--log-file=valgrind.log",
                "bin/" + Path(binary).name, *[a.replace("{trace}", TRACE_NAME) for a in args]]
        try:
            from .build import secret_paths
            c = isolate.run_confined(argv, workdir=d, timeout_s=timeout_s, output_cap=64 << 10,
                                     memory_bytes=VALGRIND_MEMORY_BYTES, cpu_s=timeout_s,
                                     network=False, fsize_bytes=1 << 30, proc=True,
                                     hide=secret_paths() if hide is None else hide, layer=layer)
        except isolate.IsolationError as e:
            return None, f"valgrind cannot be confined here: {e}", ""
        if c.error:
            return None, ("valgrind is not installed (apt-get install valgrind)"
                          if "valgrind" in c.error else c.error), c.layer
        if c.timed_out:
            return None, f"valgrind did not finish within {timeout_s:g} s", c.layer
        if c.returncode not in (0, 1):
            log = (d / "valgrind.log").read_text(errors="replace")[-300:] if (d / "valgrind.log").exists() else ""
            return None, (f"valgrind run failed ({c.describe()}): "
                          f"{(log or c.output.decode(errors='replace')).strip()[-300:]}"), c.layer
        parts = sorted(d.glob("profile.*.*"), key=lambda f: int(f.name.rsplit(".", 1)[1]))
        if len(parts) != 1:
            return None, f"callgrind wrote {len(parts)} profiles for one replay", c.layer
        with open(parts[0], errors="replace") as f:
            cost, _ = replay_cost(f.read(64 << 20))
        return cost, "", c.layer
    finally:
        shutil.rmtree(d, ignore_errors=True)


def without_debug_info(binary: Path) -> None:
    """Remove the DWARF of the sandbox's copy in place (the symbol table
    stays, so function names do too): valgrind 3.19 cannot read clang 14's
    DWARF 5, and names are all the counting needs.  objcopy reads a file
    linked from the submission, so it runs confined as well."""
    try:
        c = isolate.run_confined(["objcopy", "--strip-debug", binary.name, binary.name + ".nodebug"],
                                 workdir=binary.parent, timeout_s=60, output_cap=4096,
                                 memory_bytes=1 << 30)
    except isolate.IsolationError:
        return
    stripped = binary.parent / (binary.name + ".nodebug")
    if c.ok and stripped.exists():
        os.replace(stripped, binary)


def measure(driver: str, specs, traces: list[TraceResult], cfg, workdir: Path, *,
            libc_binary: str | None = None, mine_args=MINE_ARGS, libc_args=LIBC_ARGS) -> str:
    """Fill t.instructions for every correct trace; return "" or a problem.
    One confined valgrind run per allocator and trace; `driver` is the
    submission's binary, libc_binary (default: the same) libc's."""
    by_name = {t.name: t for t in traces}
    todo = [s for s in specs if s.name in by_name and by_name[s.name].correct]
    if not todo:
        return ""
    workdir.mkdir(parents=True, exist_ok=True)
    libc_binary = libc_binary or driver
    budget = cfg.instructions_timeout_s
    from .build import secret_paths
    hide = secret_paths(cfg)
    results = {}
    for s in todo:
        # the layer is the process's one (probe_layer), reported with the build
        mine, err, _ = callgrind_count(driver, mine_args, str(s.path), budget, workdir, hide=hide)
        if err:
            return err
        libc, err, _ = callgrind_count(libc_binary, libc_args, str(s.path), budget, workdir,
                                       hide=hide)
        if err:
            return err
        results[s.name] = (mine, libc)
    for name, (mine, libc) in results.items():
        t = by_name[name]
        if not t.ops:
            continue
        m, l = mine / t.ops, libc / t.ops
        t.instructions = {"my_alloc": round(m, 2), "libc": round(l, 2),
                          "ratio": round(l / m, 4) if m > 0 else None}
    return ""
