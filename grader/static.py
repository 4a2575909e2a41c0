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
  load-time-code  code that would run when the executable is loaded, before
                  any contract call and before the allocator's seal:
                  constructors/destructors (init/fini/preinit arrays, .ctors),
                  `.init`/`.fini` fragments, ifunc resolvers.

Two levels, both read with grader/elf.py (a strict ELF reader that fails
loudly; no regex over tool output):
  check_object()  the compiled object: its symbols (by binding and type) and
                  its sections by TYPE and FLAGS -- a section's name decides
                  nothing except where the linker itself places by name
                  (.init/.fini/.ctors/.dtors and .data.rel.ro*, mirrored
                  from ld's default script).
  check_linked()  the linked executable against a baseline executable (the
                  same host linked with an empty allocator): load-time entry
                  points (init/fini/preinit arrays measured by section type
                  and by DT_* tags, the .init/.fini code, IRELATIVE
                  relocations) and writable memory measured on segments
                  (PT_LOAD with PF_W, less PT_GNU_RELRO, plus PT_TLS).  This
                  is the deciding fact: whatever an object hides, the linked
                  file shows what will be mapped and run.
"""
from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from pathlib import Path

from . import elf
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


class ToolError(Exception):
    pass


def _load(path: str) -> elf.Elf:
    try:
        return elf.Elf.read(path)
    except elf.ElfError as e:
        raise ToolError(str(e)) from None


def _kind(f: elf.Elf, sym: elf.Symbol) -> str:
    """An nm-style type letter for sym (U, w, C, i, T/t, D/d, B/b, R/r, V/v)
    from its binding, type and section flags."""
    if sym.shndx == elf.SHN_UNDEF:
        return "w" if sym.bind == elf.STB_WEAK else "U"
    if sym.shndx == elf.SHN_COMMON or sym.type == elf.STT_COMMON:
        return "C"
    if sym.type == elf.STT_GNU_IFUNC:
        return "i"
    if sym.shndx == elf.SHN_ABS:
        letter = "a"
    elif sym.shndx < len(f.sections):
        sec = f.sections[sym.shndx]
        if sec.flags & elf.SHF_EXECINSTR:
            letter = "t"
        elif sec.type == elf.SHT_NOBITS and sec.writable:
            letter = "b"
        elif sec.writable:
            letter = "d"
        elif sec.alloc:
            letter = "r"
        else:
            letter = "n"
    else:
        letter = "?"
    if sym.bind == elf.STB_WEAK:
        return "V" if sym.type == elf.STT_OBJECT else "W"
    return letter.upper() if sym.bind == elf.STB_GLOBAL else letter


_NOT_SYMBOLS = (elf.STT_FILE, elf.STT_SECTION)


def read_symbols(obj: str) -> list[tuple[str, str, int]]:
    """(name, nm type letter, size) for every named symbol of obj."""
    f = _load(obj)
    return [(s.name, _kind(f, s), s.size) for s in f.symbols
            if s.name and s.type not in _NOT_SYMBOLS]


def read_sections(obj: str) -> list[tuple[str, str, int, str]]:
    """(name, type, size, flags) of every section of obj (for reports)."""
    out = []
    for s in _load(obj).sections:
        flags = ("W" if s.writable else "") + ("A" if s.alloc else "") + \
                ("X" if s.flags & elf.SHF_EXECINSTR else "") + ("T" if s.flags & elf.SHF_TLS else "")
        out.append((s.name, str(s.type), s.size, flags))
    return out


# Sections the linker makes run at load time.  By type, whatever the name,
# and by the names ld's default script collects into .init/.fini/.ctors/
# .dtors/init arrays whatever their type.
LOAD_TIME_TYPES = (elf.SHT_INIT_ARRAY, elf.SHT_FINI_ARRAY, elf.SHT_PREINIT_ARRAY)
LOAD_TIME_NAMES = re.compile(r"^(\.(init|fini|ctors|dtors|init_array|fini_array|preinit_array)(\..*)?|"
                             r"__libc_atexit|__libc_subfreeres|__libc_thread_subfreeres)$")
# Allocated input sections ld merges into the relocation tables (.rela.iplt,
# .rela.dyn, ...): bytes there are applied by the loader or the static start-up.
RELOC_NAMES = re.compile(r"^\.rela?(\..*)?$")
# ld's default script puts exactly these into the read-only-after-relocation
# part (PT_GNU_RELRO); ".data.rel.rox" is not among them.
RELRO_NAMES = re.compile(r"^\.data\.rel\.ro(\..*)?$")


def load_time_sections(f: elf.Elf) -> list[elf.Section]:
    return [s for s in f.sections if s.size > 0 and
            (s.type in LOAD_TIME_TYPES or (s.alloc and LOAD_TIME_NAMES.match(s.name)))]


def writable_bytes(f: elf.Elf) -> int:
    """Writable allocated bytes of an object, by section flags (any name),
    plus COMMON symbols; what ld makes RELRO and load-time arrays excluded."""
    total = 0
    for s in f.sections:
        if not (s.alloc and s.writable) or s.type in LOAD_TIME_TYPES or LOAD_TIME_NAMES.match(s.name):
            continue
        if RELRO_NAMES.match(s.name) and not s.flags & elf.SHF_TLS:
            continue
        total += s.size
    total += sum(sym.size for sym in f.symbols if sym.shndx == elf.SHN_COMMON)
    return total


@lru_cache(maxsize=4)
def driver_symbols(libdriver: str) -> frozenset[str]:
    """Every symbol the driver library defines or imports."""
    try:
        members = elf.read_archive(libdriver) if libdriver.endswith(".a") else [elf.Elf.read(libdriver)]
    except elf.ElfError:
        return frozenset()
    return frozenset(s.name for m in members for s in m.symbols
                     if s.name and s.type not in _NOT_SYMBOLS)


def _penalty(cfg: Config, rule: str) -> tuple[float, bool]:
    if rule == "load-time-code":    # never configurable: such a program is never run
        return 0.0, True
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
        f = _load(obj)
        if f.type != elf.ET_REL:
            raise ToolError(f"{obj}: not a relocatable object (ELF type {f.type})")
        symbols = [(sy.name, _kind(f, sy), sy.size) for sy in f.symbols
                   if sy.name and sy.type not in _NOT_SYMBOLS]
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

    ctor = load_time_sections(f)
    if ctor:
        add("interposition", ctor[0].name,
            "defines a constructor or destructor (code that runs outside the contract's calls)")
    reloc_like = [sec for sec in f.sections if sec.alloc and sec.size > 0 and
                  (sec.type in (elf.SHT_RELA, elf.SHT_REL) or RELOC_NAMES.match(sec.name))]
    if reloc_like:
        add("load-time-code", reloc_like[0].name,
            f"has the allocated section {reloc_like[0].name!r}, which the linker merges into the "
            f"relocation tables that run at load time")
    ifuncs = sorted({sy.name for sy in f.symbols if sy.type == elf.STT_GNU_IFUNC})
    if ifuncs:
        add("load-time-code", ifuncs[0],
            f"defines the ifunc {ifuncs[0]}, whose resolver would run when the program is loaded")

    writable = writable_bytes(f)
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


# --------------------------------------------------------------------------
# The linked executable against its baseline

def _section_holding(f: elf.Elf, addr: int | None):
    return None if addr is None else f.section_at(addr)


GLIBC_HOOK_SECTIONS = ("__libc_atexit", "__libc_subfreeres", "__libc_freeres_ptrs",
                       "__libc_thread_subfreeres", "__libc_IO_vtables")
# Tags whose VALUE is a size or count (compared through the facts above, or
# harmless: relocation table sizes grow with any code).
_SIZE_TAGS = {2, 8, 9, 10, 11, 18, 19, 23, 0x6FFFFFF9, 0x6FFFFFFA, 0x6FFFFEF5, 0x6FFFFFF0,
              0x6FFFFFFE, 0x6FFFFFFF}


def load_time_facts(f: elf.Elf, contract=()) -> dict:
    """Counts and sizes of everything that runs when f is loaded, each
    measured without names: arrays by section type and by DT_* tags, .init
    and .fini as the sections holding DT_INIT/DT_FINI (or the crt's global
    _init/_fini), IRELATIVE relocations whose resolver is not a library
    ifunc (a global/weak STT_GNU_IFUNC symbol outside the contract: only
    the contract's names can be global in the submission's part)."""
    facts = {}
    for typ, name in ((elf.SHT_PREINIT_ARRAY, "preinit_array"), (elf.SHT_INIT_ARRAY, "init_array"),
                      (elf.SHT_FINI_ARRAY, "fini_array")):
        facts[name + " bytes"] = sum(s.size for s in f.sections if s.type == typ)
    for tag, name in ((elf.DT_PREINIT_ARRAYSZ, "DT_PREINIT_ARRAYSZ"), (elf.DT_INIT_ARRAYSZ, "DT_INIT_ARRAYSZ"),
                      (elf.DT_FINI_ARRAYSZ, "DT_FINI_ARRAYSZ")):
        facts[name] = f.dyn(tag) or 0
    for tag, name in ((elf.DT_INIT, "DT_INIT"), (elf.DT_FINI, "DT_FINI"), (elf.DT_PREINIT_ARRAY, "DT_PREINIT_ARRAY")):
        facts[name] = 1 if f.dyn(tag) is not None else 0
    glob = {s.name: s for s in f.symbols if s.defined and s.bind != elf.STB_LOCAL}
    for tag, crt, name in ((elf.DT_INIT, "_init", ".init"), (elf.DT_FINI, "_fini", ".fini")):
        addr = f.dyn(tag)
        if addr is None and crt in glob:
            addr = glob[crt].value
        sec = _section_holding(f, addr)
        facts[name + " bytes"] = sec.size if sec is not None else 0
    # Code in executable sections the default script fills by name (.init/.fini)
    # even when no DT tag or crt symbol points at them.
    for name in (".init", ".fini"):
        facts[name + " sections"] = sum(s.size for s in f.sections if s.name == name)
    # Tables glibc itself walks by section name (__start_/__stop_ symbols):
    # static exit() calls every pointer in __libc_atexit, __libc_freeres()
    # (valgrind calls it at exit) those in __libc_subfreeres.
    for name in GLIBC_HOOK_SECTIONS:
        facts[name + " bytes"] = sum(s.size for s in f.sections if s.name == name)
    # Every dynamic tag at most as often as in the baseline: an extra
    # DT_NEEDED would load a library whose constructors run; DT_AUDIT an auditor.
    for tag in sorted({t for t, _ in f.dynamic}):
        if tag not in _SIZE_TAGS:
            facts[f"dynamic tag {tag} entries"] = sum(1 for t, _ in f.dynamic if t == tag)
    library = {s.value for s in f.symbols if s.defined and s.bind in (elf.STB_GLOBAL, elf.STB_WEAK)
               and s.type == elf.STT_GNU_IFUNC and s.name not in contract}
    irel = f.irelative()
    facts["IRELATIVE (not a library ifunc)"] = sum(1 for _, resolver in irel if resolver not in library)
    facts["IRELATIVE (library ifuncs)"] = sum(1 for _, resolver in irel if resolver in library)
    return facts


def writable_memory(f: elf.Elf) -> int:
    """Bytes of memory the program can write: PT_LOAD segments with PF_W
    (memory size, .bss included) less what PT_GNU_RELRO makes read-only
    after relocation, plus the TLS template (one copy per thread)."""
    total = 0
    relro = [p for p in f.segments if p.type == elf.PT_GNU_RELRO]
    for p in f.segments:
        if p.type == elf.PT_LOAD and p.flags & elf.PF_W:
            lo, hi = p.vaddr, p.vaddr + p.memsz
            covered = 0
            for r in relro:
                a, b = max(lo, r.vaddr), min(hi, r.vaddr + r.memsz)
                covered += max(0, b - a)
            total += p.memsz - covered
        elif p.type == elf.PT_TLS:
            total += p.memsz
    return total


_IGNORED_FACTS = ("IRELATIVE (library ifuncs)",)
# The linker pads before each output section to its alignment, so adding n
# bytes to .data/.bss/.tbss can grow the segments by up to one alignment unit
# of the host's sections each.  That padding (at most PADDED_SECTIONS times
# the baseline's largest writable-section alignment) is tolerated on the
# executable; check_object still holds the object's own bytes to the cap.
PADDED_SECTIONS = 3


def padding_allowance(base: elf.Elf) -> int:
    aligns = [s.addralign for s in base.sections if s.alloc and s.writable and s.addralign]
    return PADDED_SECTIONS * min(max(aligns or [64]), 4096)


def check_linked(exe: str, baseline_exe: str, cfg: Config) -> list[Violation]:
    """Violations of the linked executable against the baseline (the same
    host linked with an empty allocator): `load-time-code` for anything the
    loader would run beyond the baseline's, `global-data` for writable memory
    beyond the baseline's + max_global_data.  An executable this reader
    cannot parse is `load-time-code` too: it cannot be shown safe, so it is
    never run.  Raises ToolError when the BASELINE cannot be read (a kit
    problem, not the student's)."""
    try:
        base = elf.Elf.read(baseline_exe)
        base_facts, base_w = load_time_facts(base, cfg.contract), writable_memory(base)
    except elf.ElfError as e:
        raise ToolError(f"baseline executable: {e}") from None
    out: list[Violation] = []

    def add(rule, symbol, message):
        pen, zero = _penalty(cfg, rule)
        out.append(Violation(rule, symbol, message, pen, zero))

    try:
        sub = elf.Elf.read(exe)
        facts, w = load_time_facts(sub, cfg.contract), writable_memory(sub)
    except elf.ElfError as e:
        add("load-time-code", "(executable)",
            f"the linked executable cannot be verified ({e}); it is not run")
        return out
    extra = [(k, facts[k], base_facts.get(k, 0)) for k in facts
             if k not in _IGNORED_FACTS and facts[k] > base_facts.get(k, 0)]
    if extra:
        what = "; ".join(f"{k}: {v} (without the submission: {b})" for k, v, b in extra)
        add("load-time-code", extra[0][0],
            f"the linked program would run the submission's code when it is loaded, before any "
            f"contract call ({what}); it is not run")
    data = w - base_w
    slack = padding_allowance(base)
    if data > cfg.max_global_data + slack:
        add("global-data", "(segments)",
            f"the linked program has {data} bytes more writable memory than without the "
            f"submission, above the cap of {cfg.max_global_data} bytes (+{slack} of the "
            f"linker's alignment padding); keep metadata in the heap")
    return out
