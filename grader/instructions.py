"""--speed instructions: a deterministic throughput measure with valgrind.

For each allocator (the submission's, then libc's) one valgrind callgrind
run replays every already-correct trace once, unchecked and untimed
(`allocator --replay-only [-l] -f TRACE...`), by the sealed timed mode's own
round (host.c: replay_round), and dumps a profile after each trace
(--dump-after=timed_replay); libc's, whose malloc carries state from one
trace to the next, one run per trace.  libc's counts are kept between
gradings (LIBC_CACHE), so a class pays for them once.  From each dump
we add up the inclusive cost of the calls the host makes into the
allocator: my_init, and my_alloc, my_free and the realloc path from the
loop (malloc, free, realloc for libc).
Instructions per operation = that cost / ops; the speed ratio = libc's
instructions per op / the submission's, which does not depend on the
machine's load: a regrade gives the same number.

valgrind shares the process with the allocator, so the host's seccomp seal
cannot be installed under it; two things stand in for it:
  * containment: isolate.run_confined gives the run its own namespaces (no
    network), a directory holding only the binary and the traces being
    counted (all of them already passed the sealed replays), the system read-only and nothing of the kit, rlimits, and the whole process
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
from dataclasses import dataclass
from pathlib import Path

from . import isolate, safetext
from .model import TraceResult, clear_measurements

# Functions whose calls from the host's replay are the allocator's work.
ALLOCATOR_ENTRIES = {"my_init", "my_alloc", "my_free", "my_realloc", "call_realloc", "student_realloc",
                     "libc_alloc", "malloc", "free", "realloc"}
ALLOCATOR_PATTERNS = (re.compile(r"^__(memcpy|memmove)\w*$"), re.compile(r"^(memcpy|memmove)$"))
REPLAY_FUNCTION = "timed_replay"            # the dump is taken when it returns
# The host functions that call the allocator in --replay-only (host.c):
# my_init from replay_round, the ops from timed_replay or its do_op.
REPLAY_CALLERS = ("replay_round", "timed_replay", "do_op")
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


# How each allocator's unchecked replays are started, inside the sandbox
# directory (binary copied in as "bin/<name>", the traces as trace.rep or
# trace-N.rep): `allocator --replay-only -f TRACE...` and
# `libc-host --replay-only -l -f TRACE...`.
MINE_ARGS = ("--replay-only",)
LIBC_ARGS = ("--replay-only", "-l")
TRACE_NAME = "trace.rep"             # the one trace of a single count; trace-N.rep for several
VALGRIND_MEMORY_BYTES = 32 << 30     # valgrind's own reservations plus the host's heap region


def _trace_names(n: int) -> list[str]:
    return [TRACE_NAME] if n == 1 else [f"trace-{i}.rep" for i in range(n)]


def _sandbox_with(binary: str, traces: list, parent: Path) -> Path:
    """A fresh directory holding only the binary (its debug info removed)
    and the traces being counted (all of them already replayed, sealed)."""
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
    for trace, name in zip(traces, _trace_names(len(traces))):
        shutil.copyfile(trace, d / name)
    return d


@dataclass
class Count:
    """One trace's count: instructions of the allocator's calls, the digest
    the host printed for it (None: not one digest line per trace), the
    problem that kept it from counting ("" when it counted) and the
    isolation layer."""
    instructions: int | None = None
    digest: str | None = None
    problem: str = ""
    layer: str = ""


def printed_digests(output: bytes, n: int) -> list[str | None]:
    """The digests of the host's lines, one per trace in order; all None
    when there are not exactly n such lines (an allocator that prints a
    forged line as well leaves n + 1, and then no line can be attributed)."""
    found = DIGEST_LINE.findall(output)
    return [d.decode() for _, d in found] if len(found) == n else [None] * n


def callgrind_counts(binary: str, args, traces, timeout_s: float, parent: Path,
                     layer: str | None = None, hide=None) -> list[Count]:
    """The counts of one allocator on each of `traces`, from ONE valgrind run
    (run by isolate.run_confined: no network, no view of the kit, only the
    binary and these traces) that dumps a profile after each trace's
    replay.  On a problem, every Count carries it."""
    traces = list(traces)
    names = _trace_names(len(traces))
    d = _sandbox_with(binary, traces, parent)

    def failed(problem, lay=""):
        return [Count(problem=problem, layer=lay) for _ in traces]
    try:
        files = [x for name in names for x in ("-f", name)]
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=profile.%p",
                f"--dump-after={REPLAY_FUNCTION}", "--compress-strings=no", "--compress-pos=no",
                "--dump-instr=no", "--error-exitcode=0", "--vgdb=no", "--log-file=valgrind.log",
                "bin/" + Path(binary).name, *args, *files]
        try:
            from .build import secret_paths
            c = isolate.run_confined(argv, workdir=d, timeout_s=timeout_s, output_cap=64 << 10,
                                     memory_bytes=VALGRIND_MEMORY_BYTES, cpu_s=timeout_s,
                                     network=False, fsize_bytes=1 << 30, proc=True,
                                     hide=secret_paths() if hide is None else hide, layer=layer)
        except isolate.IsolationError as e:
            return failed(f"valgrind cannot be confined here: {e}")
        if c.error:
            return failed("valgrind is not installed (apt-get install valgrind)"
                          if "valgrind" in c.error else c.error, c.layer)
        if c.timed_out:
            return failed(f"valgrind did not finish within {timeout_s:g} s", c.layer)
        if c.returncode not in (0, 1):
            log = (d / "valgrind.log").read_text(errors="replace")[-300:] if (d / "valgrind.log").exists() else ""
            return failed(f"valgrind run failed ({c.describe()}): "
                          f"{(log or c.output.decode(errors='replace')).strip()[-300:]}", c.layer)
        parts = sorted(d.glob("profile.*.*"), key=lambda f: int(f.name.rsplit(".", 1)[1]))
        if len(parts) != len(traces):
            return failed(f"callgrind wrote {len(parts)} profiles for {len(traces)} replays", c.layer)
        digests = printed_digests(c.output, len(traces))
        counts = []
        for part, digest in zip(parts, digests):
            with open(part, errors="replace") as f:
                cost, _ = replay_cost(f.read(64 << 20))
            counts.append(Count(cost, digest, "", c.layer))
        return counts
    finally:
        shutil.rmtree(d, ignore_errors=True)


def callgrind_count(binary: str, args, trace: str, timeout_s: float, parent: Path,
                    layer: str | None = None, hide=None) -> Count:
    """callgrind_counts of a single trace."""
    return callgrind_counts(binary, args, [trace], timeout_s, parent, layer, hide)[0]


# libc's counts depend on nothing but the kit's libc host and the trace: they
# are kept (build/grade/libc-instructions.json, written by the grader only,
# from a run of the kit's own binary) so a class is not counted for each
# submission again.
LIBC_CACHE = Path(__file__).resolve().parent.parent / "build" / "grade" / "libc-instructions.json"


def cache_trusted() -> bool:
    """Whether a counted run is kept from writing the cache: under bwrap or
    landlock it does not see build/grade/, under uid it runs as an
    unprivileged user who cannot write the root-owned kit; under unshare or
    rlimits it could."""
    try:
        return isolate.probe_layer()[0] in ("bwrap", "landlock", "uid")
    except isolate.IsolationError:
        return False


def _digest_of(path) -> str:
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _libc_cache_read(cache: Path) -> dict:
    import json
    try:
        doc = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in doc.items() if isinstance(k, str) and isinstance(v, int) and v > 0} \
        if isinstance(doc, dict) else {}


def _libc_cache_write(cache: Path, entries: dict) -> None:
    import json
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        merged = {**_libc_cache_read(cache), **entries}
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(merged, sort_keys=True))
        os.replace(tmp, cache)     # atomic: parallel gradings of a batch never see half a file
    except OSError:
        pass                       # a cache only: the next grading counts again


def libc_counts(libc_binary: str, traces, timeout_s: float, parent: Path, hide=None,
                cache: Path | None = LIBC_CACHE) -> list[Count]:
    """libc's count on each trace: from the cache where it has the pair
    (libc host, trace), else counted and kept.  Each trace is counted in a
    run of its own: glibc's malloc keeps its free chunks from one trace to
    the next, so in a shared run a trace's count would depend on the traces
    before it (0.2% on synth-fifo), and a kept count must not.  (The
    submission's side can share a run: my_init resets its whole state.)"""
    traces = list(traces)
    binary_key = _digest_of(libc_binary)
    keys = [f"{binary_key}:{_digest_of(t)}" for t in traces]
    if cache is not None and not cache_trusted():
        cache = None
    known = _libc_cache_read(cache) if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in known]
    counts = [Count(known[k]) if k in known else None for k in keys]
    if missing:
        fresh = [callgrind_count(libc_binary, LIBC_ARGS, traces[i], timeout_s, parent, hide=hide)
                 for i in missing]
        for i, c in zip(missing, fresh):
            counts[i] = c
        good = {keys[i]: c.instructions for i, c in zip(missing, fresh) if not c.problem and c.instructions}
        if cache and good:
            _libc_cache_write(cache, good)
    return counts


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
            libc_binary: str | None = None, mine_args=MINE_ARGS, libc_cache: Path | None = LIBC_CACHE) -> str:
    """Fill t.instructions for every correct trace; return "" or a problem.
    One confined valgrind run for the submission's allocator over all those
    traces, one for libc's over the traces its cache lacks; `driver` is the
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
    for s in todo:
        if by_name[s.name].replay_digest is None:
            return f"the driver gave no replay digest for {s.name}: the count cannot be verified"
    # the layer is the process's one (probe_layer), reported with the build
    mine = callgrind_counts(driver, mine_args, [str(s.path) for s in todo], budget, workdir, hide=hide)
    if mine[0].problem:
        return mine[0].problem
    verified = []
    for s, c in zip(todo, mine):
        if c.digest != by_name[s.name].replay_digest:
            refuse_count(by_name[s.name], c.digest)
        else:
            verified.append((s, c))
    if not verified:
        return ""
    libc = libc_counts(libc_binary, [str(s.path) for s, _ in verified], budget, workdir, hide=hide,
                       cache=libc_cache)
    for (s, m), l in zip(verified, libc):
        if l.problem:
            return l.problem
        t = by_name[s.name]
        if not t.ops:
            continue
        m_op, l_op = m.instructions / t.ops, l.instructions / t.ops
        t.instructions = {"my_alloc": round(m_op, 2), "libc": round(l_op, 2),
                          "ratio": round(l_op / m_op, 4) if m_op > 0 else None}
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
