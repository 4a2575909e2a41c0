"""tracekit -- the Python side of the kit's traces: write, convert, summarize.

This is the ONE Python module that reads or writes trace text (the C reader,
grader/driver/trace.c, is the one that validates traces for grading; the
format is specified in traces/README.md).  The tools built on it:

    traces/gen.py                    synthetic traces from a seeded generator
    traces/convert.py                CS107 scripts, size-first traces, recorder logs -> kit traces
    grader/recorder/record.py        run a program under the recorder, write one trace per process

Ops are tuples (kind, id, size) with kind in "afr" (size 0 for "f").
Standard library only.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Iterable, Iterator

MAX_REQUEST = 1 << 30          # largest size the reader accepts (trace.h)
MAX_IDS = 1 << 24              # largest id + 1 in a headerless trace
ALIGNMENT = 16


class TraceError(Exception):
    """Bad input: the message is "file:line: reason"."""


def align16(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


# ---- statistics -----------------------------------------------------------------

@dataclass
class Stats:
    allocs: int = 0
    frees: int = 0
    reallocs: int = 0
    nids: int = 0
    peak_payload: int = 0      # max over time of the live requested bytes
    peak_aligned: int = 0      # the same with every size rounded up to 16
    sizes: list[int] = field(default_factory=list)   # every a/r size, in order

    @property
    def ops(self) -> int:
        return self.allocs + self.frees + self.reallocs

    @property
    def ceiling(self) -> float:
        """Utilization of a zero-fragmentation 16-byte-aligned allocator."""
        return self.peak_payload / self.peak_aligned if self.peak_aligned else 1.0

    def percentile(self, q: float) -> int:
        if not self.sizes:
            return 0
        s = sorted(self.sizes)
        return s[min(len(s) - 1, int(q / 100 * len(s)))]

    def summary(self) -> str:
        return (f"{self.ops} ops (a {self.allocs}, f {self.frees}, r {self.reallocs}), "
                f"{self.nids} ids, peak live {self.peak_payload} bytes, "
                f"sizes p50 {self.percentile(50)} p90 {self.percentile(90)} "
                f"p99 {self.percentile(99)} max {max(self.sizes, default=0)}, "
                f"ceiling {self.ceiling:.3f}")


def stats(ops: Iterable[tuple[str, int, int]]) -> Stats:
    """Counts, peaks and sizes of a valid op list (as the C reader computes them)."""
    st = Stats()
    live: dict[int, int] = {}
    payload = aligned = 0
    for kind, ident, size in ops:
        st.nids = max(st.nids, ident + 1)
        old = live.pop(ident, 0)
        payload -= old
        aligned -= align16(old)
        if kind == "f":
            st.frees += 1
            continue
        if kind == "a":
            st.allocs += 1
        else:
            st.reallocs += 1
        st.sizes.append(size)
        live[ident] = size
        payload += size
        aligned += align16(size)
        st.peak_payload = max(st.peak_payload, payload)
        st.peak_aligned = max(st.peak_aligned, aligned)
    return st


# ---- writing --------------------------------------------------------------------

def format_trace(ops: list[tuple[str, int, int]], description: Iterable[str]) -> str:
    """The text of a kit trace: '#' description lines, a CS:APP 4-number header
    (suggested heap size = peak live bytes rounded to 16, ids, ops, weight 1),
    then one request per line.  The ops must already be valid (see check_ops)."""
    st = stats(ops)
    lines = [f"# {d}".rstrip() for d in description]
    lines.append(f"# {st.summary()}")
    lines += [str(st.peak_aligned), str(st.nids), str(st.ops), "1"]
    for kind, ident, size in ops:
        lines.append(f"f {ident}" if kind == "f" else f"{kind} {ident} {size}")
    return "\n".join(lines) + "\n"


def write_trace(path: str, ops: list[tuple[str, int, int]], description: Iterable[str]) -> Stats:
    check_ops(ops, path)
    text = format_trace(ops, description)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)
    return stats(ops)


def check_ops(ops: list[tuple[str, int, int]], name: str = "<ops>") -> None:
    """Raise TraceError unless replaying ops is well defined (rules T1-T3 of trace.c)."""
    live: set[int] = set()
    for i, (kind, ident, size) in enumerate(ops):
        where = f"{name}: op {i} ({kind} {ident} {size})"
        if not 0 <= ident < MAX_IDS:
            raise TraceError(f"{where}: id out of range")
        if kind == "a":
            if ident in live:
                raise TraceError(f"{where}: id already live")
            live.add(ident)
        elif kind == "f":
            if ident not in live:
                raise TraceError(f"{where}: free of an id that is not live")
            live.discard(ident)
        elif kind == "r":
            if ident not in live or size == 0:
                raise TraceError(f"{where}: realloc of an id that is not live, or to 0 bytes")
        else:
            raise TraceError(f"{where}: unknown kind")
        if kind != "f" and not 0 <= size <= MAX_REQUEST:
            raise TraceError(f"{where}: size out of range")


# ---- reading text formats -------------------------------------------------------

def _requests(path: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank line, '#' comments removed."""
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if fields:
            yield lineno, fields


def _number(path: str, lineno: int, text: str, what: str) -> int:
    if not text.isdigit():
        raise TraceError(f"{path}:{lineno}: expected {what}, found '{text}'")
    return int(text)


def read_script(path: str, text: str, size_first: bool = False) -> list[tuple[str, int, int]]:
    """Read a request list in a related format and return kit ops.

    size_first=False  CS107 scripts: 'a ID SIZE', 'r ID SIZE', 'f ID' (the kit's
                      own body syntax; a kit trace reads the same way).
    size_first=True   slab-lab style: 'a SIZE ID', 'r SIZE ID', 'f ID'.
    Both: '#' comments, blank lines, leading lines of bare numbers (a header)
    skipped.  An id may be reused after it is freed; ids are renumbered so each
    block gets its own (as recordings do); 'r' of an unknown id allocates;
    'r ID 0' frees.
    """
    ops: list[tuple[str, int, int]] = []
    block_of: dict[int, int] = {}          # script id -> kit id of its live block
    next_id = 0
    seen_request = False
    for lineno, fields in _requests(path, text):
        if not seen_request and all(f.isdigit() for f in fields):
            continue                       # header numbers
        seen_request = True
        kind = fields[0]
        want = 2 if kind == "f" else 3
        if kind not in ("a", "f", "r"):
            raise TraceError(f"{path}:{lineno}: unknown operation '{kind}' (expected a, f or r)")
        if len(fields) != want:
            raise TraceError(f"{path}:{lineno}: '{kind}' takes {want - 1} numbers, found {len(fields) - 1}")
        if kind == "f":
            sid, size = _number(path, lineno, fields[1], "id"), 0
        elif size_first:
            size = _number(path, lineno, fields[1], "size")
            sid = _number(path, lineno, fields[2], "id")
        else:
            sid = _number(path, lineno, fields[1], "id")
            size = _number(path, lineno, fields[2], "size")
        if size > MAX_REQUEST:
            raise TraceError(f"{path}:{lineno}: size {size} exceeds the limit of {MAX_REQUEST} bytes")
        live = block_of.get(sid)
        if kind == "f" or (kind == "r" and size == 0):
            if live is None:
                raise TraceError(f"{path}:{lineno}: free of id {sid}, which is not live")
            ops.append(("f", live, 0))
            del block_of[sid]
        elif kind == "a" or live is None:
            if kind == "a" and live is not None:
                raise TraceError(f"{path}:{lineno}: id {sid} is already live")
            block_of[sid] = next_id
            ops.append(("a", next_id, size))
            next_id += 1
        else:
            ops.append(("r", live, size))
    return ops


def read_kit(path: str) -> list[tuple[str, int, int]]:
    """Ops of a kit trace file, for the Python tools (conversion, tests of the
    generator).  Grading uses the C reader; this one only checks what the tools
    rely on and keeps the trace's own ids."""
    with open(path, encoding="ascii", errors="replace") as f:
        text = f.read()
    ops = []
    seen_request = False
    for lineno, fields in _requests(path, text):
        if not seen_request and len(fields) == 1 and fields[0].isdigit():
            continue
        seen_request = True
        kind = fields[0]
        if kind not in ("a", "f", "r") or len(fields) != (2 if kind == "f" else 3):
            raise TraceError(f"{path}:{lineno}: not a request: {' '.join(fields)}")
        ident = _number(path, lineno, fields[1], "id")
        size = 0 if kind == "f" else _number(path, lineno, fields[2], "size")
        ops.append((kind, ident, size))
    return ops


# ---- recorder logs --------------------------------------------------------------
# Mirrors grader/recorder/recorder.h.

REC_MAGIC = b"SLABREC1"
REC_HEADER_BYTES = 4096
REC_ENTRY = struct.Struct("<QQQIHH")        # ptr, old, size, align, kind, tid16
REC_MALLOC, REC_CALLOC, REC_REALLOC, REC_FREE, REC_ALIGNED = 1, 2, 3, 4, 5


@dataclass
class RawLog:
    path: str
    pid: int
    ppid: int
    cmdline: str
    entries: list[tuple[int, int, int, int, int, int]]   # as REC_ENTRY unpacks

    @property
    def threads(self) -> int:
        return len({e[5] for e in self.entries})


def read_raw_log(path: str) -> RawLog:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < REC_HEADER_BYTES or data[:8] != REC_MAGIC:
        raise TraceError(f"{path}:0: not a recorder log (no {REC_MAGIC.decode()} header)")
    entry_size, pid, ppid = struct.unpack_from("<III", data, 8)
    if entry_size != REC_ENTRY.size:
        raise TraceError(f"{path}:0: entries of {entry_size} bytes, expected {REC_ENTRY.size}")
    cmdline = data[24:REC_HEADER_BYTES].split(b"\0", 1)[0].decode("utf-8", "replace")
    body = data[REC_HEADER_BYTES:]
    body = body[: len(body) // REC_ENTRY.size * REC_ENTRY.size]
    entries = []
    for e in REC_ENTRY.iter_unpack(body):
        if e[4] == 0:                      # end of log (sparse tail)
            break
        entries.append(e)
    return RawLog(path, pid, ppid, cmdline, entries)


@dataclass
class Conversion:
    ops: list[tuple[str, int, int]]
    dropped_frees: int = 0       # frees of blocks allocated before recording began
    zero_or_huge: int = 0        # blocks of 0 bytes or > MAX_REQUEST, left out
    unlogged_reuse: int = 0      # an address handed out while still live (a free we missed)
    freed_at_end: int = 0        # blocks live at exit (or at the cap), freed at the end
    capped: bool = False         # stopped early because of max_ops


def convert_log(entries: Iterable[tuple[int, int, int, int, int, int]],
                max_ops: int | None = None) -> Conversion:
    """Turn a recorder log into kit ops.

    Each block (one malloc, followed by its reallocs) gets its own id, in the
    order blocks appear.  Frees of addresses the log never handed out (memory
    allocated before recording began, e.g. before a fork) are dropped.  Blocks
    of 0 bytes (malloc(0)) or more than MAX_REQUEST are left out, with their
    frees.  Blocks still live when the log ends are freed at the end, in id
    order.  With max_ops, the log is cut so that the trace, end frees included,
    has at most max_ops requests.
    """
    ops: list[tuple[str, int, int]] = []
    conv = Conversion(ops)
    live: dict[int, tuple[int, int]] = {}    # address -> (id, size)
    left_out: set[int] = set()               # addresses of left-out blocks
    next_id = 0

    def allocate(ptr: int, size: int) -> None:
        nonlocal next_id
        if ptr in live:                      # its free was never logged
            conv.unlogged_reuse += 1
            ops.append(("f", live.pop(ptr)[0], 0))
        left_out.discard(ptr)
        if size == 0 or size > MAX_REQUEST:
            conv.zero_or_huge += 1
            left_out.add(ptr)
            return
        live[ptr] = (next_id, size)
        ops.append(("a", next_id, size))
        next_id += 1

    def release(ptr: int) -> None:
        if ptr in live:
            ops.append(("f", live.pop(ptr)[0], 0))
        elif ptr in left_out:
            left_out.discard(ptr)
        else:
            conv.dropped_frees += 1

    for ptr, old, size, _align, kind, _tid in entries:
        if max_ops is not None and len(ops) + len(live) + 2 > max_ops:
            conv.capped = True
            break
        if kind in (REC_MALLOC, REC_CALLOC, REC_ALIGNED):
            allocate(ptr, size)
        elif kind == REC_FREE:
            release(ptr)
        elif kind == REC_REALLOC:
            if ptr == 0:                     # realloc(old, 0) freed old
                release(old)
            elif old == 0 or old not in live:
                if old:                      # allocated before recording, or left out
                    release(old)
                allocate(ptr, size)
            elif size == 0 or size > MAX_REQUEST:
                release(old)
                allocate(ptr, size)
            else:
                ident, _ = live.pop(old)
                if ptr in live:
                    conv.unlogged_reuse += 1
                    ops.append(("f", live.pop(ptr)[0], 0))
                left_out.discard(ptr)
                live[ptr] = (ident, size)
                ops.append(("r", ident, size))
        else:
            raise TraceError(f"recorder log: unknown entry kind {kind}")
    conv.freed_at_end = len(live)
    for ident, _ in sorted(live.values()):
        ops.append(("f", ident, 0))
    return conv
