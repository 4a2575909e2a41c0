"""--speed instructions: a deterministic throughput measure with valgrind.

For each already-correct trace and each allocator (the submission's, then
libc's) one valgrind callgrind run replays that trace once, unchecked and
untimed (`allocator --replay-only [-l] -f TRACE`), by the sealed timed mode's
own loop (host.c: timed_replay), and dumps a profile after it
(--dump-after=timed_replay).  From each dump we add up the inclusive cost of
the calls the host makes into the allocator: my_init, and my_alloc, my_free
and the realloc path from the loop (malloc, free, realloc for libc).
Instructions per operation = that cost / ops; the speed ratio = libc's
instructions per op / the submission's, which does not depend on the
machine's load: a regrade gives the same number.

valgrind shares the process with the allocator, so the host's seccomp seal
cannot be installed under it; two things stand in for it:
  * containment: isolate.run_confined gives the run its own namespaces (no
    network), a directory holding only the binary and that ONE trace, the
    system read-only and nothing of the kit, rlimits, and the whole process
    tree killed on a timeout;
  * verification: the host prints replay_digest() of the answers it served
    and the heap it ended with, and the count is taken only if that digest
    is the one the checker computed for the sealed checked replay (the
    driver's JSON, replay_digest).  An allocator that behaves otherwise when
    counted (it can tell valgrind apart) gets `tamper` for that trace, as a
    timed replay that differs from its checked one does in wall-clock mode.
    The work it does must be on the answers it gave, and my_init is counted
    too, so precomputing there gains nothing.
What is left open is work an allocator hides from callgrind's call graph
(a signal handler or a thread it starts with a raw system call): the seal
forbids those in the other modes, nothing does here.  The README says so.

Nothing is counted for a trace that failed its checked run.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from . import isolate, safetext
from .model import TraceResult, clear_measurements

# Functions whose calls from the host's replay are the allocator's work.
ALLOCATOR_ENTRIES = {"my_init", "my_alloc", "my_free", "my_realloc", "call_realloc", "student_realloc",
                     "libc_alloc", "malloc", "free", "realloc"}
ALLOCATOR_PATTERNS = (re.compile(r"^__(memcpy|memmove)\w*$"), re.compile(r"^(memcpy|memmove)$"))
REPLAY_FUNCTION = "timed_replay"            # the dump is taken when it returns
# The host functions that call the allocator in --replay-only (host.c):
# my_init from replay_only, the ops from timed_replay or its do_op.
REPLAY_CALLERS = ("replay_only", "timed_replay", "do_op")
# The host's line per trace (host.c, replay_only).
DIGEST_LINE = re.compile(rb"^\S+ \d+ (ok|failed) digest=([0-9a-f]{16})$", re.M)


def clean_name(fn: str) -> str:
    """'malloc@@GLIBC_2.2.5' -> 'malloc'; "my_alloc'2" (recursion) -> 'my_alloc'."""
    fn = re.sub(r"'\d+$", "", fn.strip())
    return fn.split("@", 1)[0]


def is_allocator_entry(fn: str) -> bool:
    return fn in ALLOCATOR_ENTRIES or any(p.match(fn) for p in ALLOCATOR_PATTERNS)


def replay_cost(profile_text: str, callers=REPLAY_CALLERS) -> tuple[int, int]:
    """(instructions, calls) of the allocator calls made by the host's
    `callers` in one callgrind profile (written with --compress-strings=no
    --compress-pos=no)."""
    if isinstance(callers, str):
        callers = (callers,)
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
            if fn in callers and callee and is_allocator_entry(callee):
                calls += count
        elif pending and line[:1].isdigit():
            pending = False
            if fn in callers and callee and is_allocator_entry(callee):
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    cost += int(parts[1])
    return cost, calls


# How each allocator's unchecked replay of ONE trace is started, inside the
# sandbox directory (binary copied in as "bin/<name>", the trace as
# "trace.rep"): `allocator --replay-only -f TRACE` and
# `libc-host --replay-only -l -f TRACE`.
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


class Count:
    """One counted run: instructions of the allocator's calls, the digest
    the host printed (None: not exactly one digest line), the problem that
    kept it from counting ("" when it counted) and the isolation layer."""
    def __init__(self, instructions=None, digest=None, problem="", layer=""):
        self.instructions, self.digest, self.problem, self.layer = instructions, digest, problem, layer

    def __iter__(self):   # (instructions, problem, layer), as before the digest
        return iter((self.instructions, self.problem, self.layer))


def printed_digest(output: bytes) -> str | None:
    """The digest of the host's one line for the trace; None when there is
    not exactly one such line (an allocator printing a forged one as well
    leaves two)."""
    found = DIGEST_LINE.findall(output)
    return found[0][1].decode() if len(found) == 1 else None


def callgrind_count(binary: str, args, trace: str, timeout_s: float, parent: Path,
                    layer: str | None = None, hide=None) -> Count:
    """The count of one allocator on one trace, under valgrind run by
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
            return Count(problem=f"valgrind cannot be confined here: {e}")
        if c.error:
            return Count(problem=("valgrind is not installed (apt-get install valgrind)"
                                  if "valgrind" in c.error else c.error), layer=c.layer)
        if c.timed_out:
            return Count(problem=f"valgrind did not finish within {timeout_s:g} s", layer=c.layer)
        if c.returncode not in (0, 1):
            log = (d / "valgrind.log").read_text(errors="replace")[-300:] if (d / "valgrind.log").exists() else ""
            return Count(problem=(f"valgrind run failed ({c.describe()}): "
                                  f"{(log or c.output.decode(errors='replace')).strip()[-300:]}"),
                         layer=c.layer)
        parts = sorted(d.glob("profile.*.*"), key=lambda f: int(f.name.rsplit(".", 1)[1]))
        if len(parts) != 1:
            return Count(problem=f"callgrind wrote {len(parts)} profiles for one replay", layer=c.layer)
        with open(parts[0], errors="replace") as f:
            cost, _ = replay_cost(f.read(64 << 20))
        return Count(cost, printed_digest(c.output), "", c.layer)
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
        mine = callgrind_count(driver, mine_args, str(s.path), budget, workdir, hide=hide)
        if mine.problem:
            return mine.problem
        expected = by_name[s.name].replay_digest
        if expected is None:
            return f"the driver gave no replay digest for {s.name}: the count cannot be verified"
        if mine.digest != expected:
            refuse_count(by_name[s.name], mine.digest)
            continue
        libc, err, _ = callgrind_count(libc_binary, libc_args, str(s.path), budget, workdir,
                                       hide=hide)
        if err:
            return err
        results[s.name] = (mine.instructions, libc)
    for name, (mine, libc) in results.items():
        t = by_name[name]
        if not t.ops:
            continue
        m, l = mine / t.ops, libc / t.ops
        t.instructions = {"my_alloc": round(m, 2), "libc": round(l, 2),
                          "ratio": round(l / m, 4) if m > 0 else None}
    return ""


def refuse_count(t: TraceResult, printed: str | None) -> None:
    """The counted run did not serve what the sealed checked replay served:
    the trace is `tamper`, as a differing timed replay is in wall-clock mode."""
    said = f"digest {printed}" if printed else "no single digest line"
    clear_measurements(t)
    t.correct = False
    t.error = {"kind": "tamper", "op": None, "line": None,
               "message": safetext.line(
                   "under valgrind (--speed instructions) the allocator served other answers or "
                   f"ended with another heap than in its sealed checked replay ({said}, expected "
                   f"{t.replay_digest}); an allocator must do the same in every replay, so the "
                   "count is refused and the trace not scored")}
