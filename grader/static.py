"""Static checks on the compiled submission (its .o file), with binutils.

Rules (names are what reports and the config use):
  forbidden-call  the object references a symbol that is not on the config's
                  `allowed` list: malloc, sbrk, mmap, open, clock_gettime...
                  Memory must come from mem_sbrk, and nothing else is needed.
  interposition   the object defines a symbol that libc or the driver uses
                  (clock_gettime, mem_sbrk, heap_report, malloc...) or a
                  constructor: code that would run inside the driver outside
                  the contract, e.g. to fake the clock.
  extra-symbol    the object defines a global symbol outside the contract
                  (a helper that should be `static`).
  global-data     writable global/static data (.data, .bss, thread-local,
                  COMMON) above the configured cap: allocator metadata must
                  live in the simulated heap, where utilization sees it.

Symbols come from `nm -P`; writable data sizes from the section table
(`readelf -S`), so anonymous data counts too; read-only data (.rodata,
.data.rel.ro) is free.
"""
from __future__ import annotations

import fnmatch
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from .config import Config
from .model import StaticResult, Violation

# Always treated as interposition when defined, whatever the driver imports.
LIBC_SENSITIVE = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "aligned_alloc", "posix_memalign",
    "memalign", "valloc", "pvalloc", "malloc_usable_size", "sbrk", "brk", "mmap", "munmap",
    "mremap", "mprotect", "clock_gettime", "clock_getres", "gettimeofday", "time", "clock",
    "times", "getrusage", "memcpy", "memset", "memmove", "memcmp", "exit", "_exit", "abort",
    "fork", "raise", "signal", "sigaction", "setrlimit", "alarm", "write", "read", "printf",
    "fprintf", "puts", "main", "_start", "__libc_start_main", "rand", "srand", "strlen",
}

CATEGORY = [
    ({"malloc", "calloc", "realloc", "free", "reallocarray", "aligned_alloc", "posix_memalign",
      "memalign", "valloc", "pvalloc", "strdup", "strndup"},
     "an allocation function (memory must come from mem_sbrk)"),
    ({"sbrk", "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "shmget", "shmat"},
     "a system memory function (memory must come from mem_sbrk)"),
    ({"mem_init", "mem_reset", "mem_slack_written", "mem_contains"},
     "a driver-only memlib function"),
    ({"clock_gettime", "gettimeofday", "time", "clock", "times", "getrusage"},
     "a clock function"),
]
CONSTRUCTOR_SECTIONS = (".init_array", ".fini_array", ".ctors", ".dtors", ".preinit_array")
READ_ONLY_AFTER_RELOC = (".data.rel.ro",)


class ToolError(Exception):
    pass


def _tool(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, errors="replace",
                           env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/local/bin"})
    except FileNotFoundError:
        raise ToolError(f"{cmd[0]} not found (install binutils)") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{cmd[0]} timed out") from None
    if p.returncode != 0:
        raise ToolError(f"{' '.join(cmd)}: {p.stderr.strip()[:300]}")
    return p.stdout


def read_symbols(obj: str) -> list[tuple[str, str, int]]:
    """(name, nm type letter, size) for every symbol of obj."""
    out = []
    for line in _tool(["nm", "-P", "-t", "d", obj]).splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].endswith(":"):
            continue
        name, kind = parts[0], parts[1]
        size = int(parts[3]) if len(parts) >= 4 and parts[3].isdigit() else 0
        out.append((name, kind, size))
    return out


_SECTION = re.compile(r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s")


def read_sections(obj: str) -> list[tuple[str, str, int, str]]:
    """(name, type, size, flags) of every section of obj."""
    out = []
    for line in _tool(["readelf", "-SW", obj]).splitlines():
        m = _SECTION.match(line)
        if m:
            out.append((m[1], m[2], int(m[3], 16), m[4]))
    return out


@lru_cache(maxsize=4)
def driver_symbols(libdriver: str) -> frozenset[str]:
    """Every symbol the driver library defines or imports."""
    try:
        return frozenset(name for name, _, _ in read_symbols(libdriver))
    except ToolError:
        return frozenset()


def _penalty(cfg: Config, rule: str) -> tuple[float, bool]:
    v = cfg.penalties.get(rule, "zero")
    return (0.0, True) if v == "zero" else (float(v), False)


def _category(symbol: str) -> str:
    for names, what in CATEGORY:
        if symbol in names:
            return what
    return "not on the allowed list"


def check_object(obj: str, cfg: Config, libdriver: str | None = None,
                 source_shown: str | None = None) -> StaticResult:
    res = StaticResult(ran=True, global_data_cap=cfg.max_global_data)
    try:
        symbols = read_symbols(obj)
        sections = read_sections(obj)
    except ToolError as e:
        res.ran, res.error = False, str(e)
        return res
    interpose = set(LIBC_SENSITIVE) | (set(driver_symbols(libdriver)) if libdriver else set())
    contract = set(cfg.contract)

    def add(rule, symbol, message):
        pen, zero = _penalty(cfg, rule)
        res.violations.append(Violation(rule, symbol, message, pen, zero, file=source_shown))

    for name, kind, size in symbols:
        if kind in "Uwv":
            res.undefined.append(name)
        elif kind.isupper():
            res.defined.append(name)

    for name in sorted(set(res.defined)):
        if name in contract:
            continue
        if name in interpose:
            add("interposition", name,
                f"defines {name}, a symbol of libc or the driver: the allocator may only define "
                f"the contract's functions")
        else:
            add("extra-symbol", name,
                f"defines the global symbol {name}, which is not in the contract: make it static")

    for name in sorted(set(res.undefined)):
        if any(fnmatch.fnmatchcase(name, pat) for pat in cfg.allowed):
            continue
        add("forbidden-call", name, f"uses {name}, {_category(name)}")

    ctor = [s for s, _, size, _ in sections if s.startswith(CONSTRUCTOR_SECTIONS) and size > 0]
    if ctor:
        add("interposition", ctor[0],
            "defines a constructor or destructor (code that runs outside the contract's calls)")

    writable = 0
    for name, kind, size, flags in sections:
        if "W" in flags and "A" in flags and not name.startswith(READ_ONLY_AFTER_RELOC + CONSTRUCTOR_SECTIONS):
            writable += size
    common = [(n, s) for n, k, s in symbols if k == "C"]
    writable += sum(s for _, s in common)
    res.global_data_bytes = writable
    data_syms = sorted(((n, s) for n, k, s in symbols if k in "dDbBCvV" and s > 0),
                       key=lambda x: (-x[1], x[0]))
    res.global_data_symbols = data_syms
    if writable > cfg.max_global_data:
        biggest = ", ".join(f"{n} ({s} B)" for n, s in data_syms[:3]) or "unnamed data"
        add("global-data", data_syms[0][0] if data_syms else "(data)",
            f"has {writable} bytes of writable global data, above the cap of "
            f"{cfg.max_global_data} bytes (largest: {biggest}); keep metadata in the heap")
    return res


def locate(violations: list[Violation], source: Path) -> None:
    """Best effort: the first source line that mentions each violation's symbol."""
    try:
        lines = code_lines(source.read_text(errors="replace"))
    except OSError:
        return
    for v in violations:
        if v.line is not None or v.symbol.startswith("."):
            continue
        pat = re.compile(r"\b" + re.escape(v.symbol) + r"\b")
        for i, code in enumerate(lines, 1):
            if pat.search(code) and not code.lstrip().startswith("#"):
                v.line = i
                break


def code_lines(text: str) -> list[str]:
    """The source's lines with comments and string literals blanked out
    (line numbers kept), so a symbol is found where the code uses it."""
    out, cur = [], []
    i, n, state = 0, len(text), "code"
    while i < n:
        ch, nxt = text[i], text[i + 1] if i + 1 < n else ""
        if ch == "\n":
            out.append("".join(cur))
            cur = []
            if state == "line":
                state = "code"
            i += 1
            continue
        if state == "code":
            if ch == "/" and nxt == "*":
                state, i = "block", i + 2
                continue
            if ch == "/" and nxt == "/":
                state, i = "line", i + 2
                continue
            if ch in "\"'":
                state, quote = "string", ch
            cur.append(ch)
        elif state == "block":
            if ch == "*" and nxt == "/":
                state, i = "code", i + 2
                continue
        elif state == "string":
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                state = "code"
                cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out
