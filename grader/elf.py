"""A small, strict reader of ELF64 little-endian files (objects and executables).

The grader decides its rules on facts of the files the compiler and linker
produced -- section types and flags, segments, the dynamic section, the
relocations, symbol types -- never on section names, which a submission
chooses freely (".data.rel.rox", "my data").  So this reader parses exactly
what it needs with struct and FAILS LOUDLY: anything it cannot make sense of
(a truncated file, a table past the end, an entry size it does not know, a
string table index out of range, a 32-bit or big-endian file) raises
ElfError with the reason, and the caller turns that into a violation or a
kit error -- never into "nothing found".

Invariants: every offset/size read from the file is checked against the
file's length before use (_slice); an Elf object is immutable after parsing.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

# e_type
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
# section types
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 0, 1, 2, 3, 4
SHT_DYNAMIC, SHT_NOBITS, SHT_REL, SHT_DYNSYM = 6, 8, 9, 11
SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY = 14, 15, 16
# section flags
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_TLS = 0x1, 0x2, 0x4, 0x400
# segment types and flags
PT_LOAD, PT_DYNAMIC, PT_TLS, PT_GNU_RELRO = 1, 2, 7, 0x6474E552
PF_X, PF_W, PF_R = 1, 2, 4
# dynamic tags
DT_NULL, DT_INIT, DT_FINI = 0, 12, 13
DT_INIT_ARRAY, DT_FINI_ARRAY, DT_INIT_ARRAYSZ, DT_FINI_ARRAYSZ = 25, 26, 27, 28
DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ = 32, 33
# symbols
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_COMMON, STT_TLS = 0, 1, 2, 3, 4, 5, 6
STT_GNU_IFUNC = 10
SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_XINDEX = 0, 0xFFF1, 0xFFF2, 0xFFFF
# x86-64 relocations
R_X86_64_IRELATIVE = 37
EM_X86_64, EM_AARCH64 = 62, 183
R_AARCH64_IRELATIVE = 1032

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")
_REL = struct.Struct("<QQ")
_DYN = struct.Struct("<qQ")


class ElfError(Exception):
    """The file is not an ELF64 LE file this reader fully understands."""


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int

    @property
    def alloc(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def writable(self) -> bool:
        return bool(self.flags & SHF_WRITE)


@dataclass(frozen=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    bind: int
    type: int
    shndx: int

    @property
    def defined(self) -> bool:
        return self.shndx != SHN_UNDEF


@dataclass(frozen=True)
class Reloc:
    section: int        # index of the relocation section
    offset: int
    type: int
    sym: int
    addend: int


class Elf:
    """A parsed file: .sections, .segments, .symbols (from .symtab, else
    .dynsym), .dynamic [(tag, value)], .relocations."""

    def __init__(self, data: bytes, name: str = "<bytes>"):
        self.name = name
        self.data = data
        self._header()
        self.sections = self._sections()
        self.segments = self._segments()
        self.symbols = self._symbols()
        self.dynamic = self._dynamic()
        self.relocations = self._relocations()

    @classmethod
    def read(cls, path) -> "Elf":
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ElfError(f"{path}: cannot read: {e.strerror or e}") from None
        return cls(data, str(path))

    # -- primitives -------------------------------------------------------

    def _fail(self, why: str) -> ElfError:
        return ElfError(f"{self.name}: {why}")

    def _slice(self, off: int, size: int, what: str) -> bytes:
        if off < 0 or size < 0 or off + size > len(self.data):
            raise self._fail(f"{what} (offset {off}, {size} bytes) lies outside the file "
                             f"({len(self.data)} bytes)")
        return self.data[off:off + size]

    def _table(self, off: int, count: int, entsize: int, st: struct.Struct, what: str):
        if count and entsize != st.size:
            raise self._fail(f"{what}: entry size {entsize}, expected {st.size}")
        raw = self._slice(off, count * st.size, what)
        return [st.unpack_from(raw, i * st.size) for i in range(count)]

    @staticmethod
    def _cstr(table: bytes, off: int):
        if off >= len(table) and off != 0:
            return None
        end = table.find(b"\0", off)
        if end < 0:
            return None
        return table[off:end].decode("utf-8", "surrogateescape")

    # -- tables -----------------------------------------------------------

    def _header(self) -> None:
        if len(self.data) < _EHDR.size:
            raise self._fail("too short for an ELF header")
        (ident, self.type, self.machine, version, self.entry, self.phoff, self.shoff, _flags,
         ehsize, self.phentsize, self.phnum, self.shentsize, self.shnum, self.shstrndx) = \
            _EHDR.unpack_from(self.data, 0)
        if ident[:4] != b"\x7fELF":
            raise self._fail("not an ELF file")
        if ident[4] != 2:
            raise self._fail("not a 64-bit ELF file")
        if ident[5] != 1:
            raise self._fail("not a little-endian ELF file")
        if ident[6] != 1 or version != 1:
            raise self._fail(f"unknown ELF version {ident[6]}/{version}")
        if ehsize != _EHDR.size:
            raise self._fail(f"ELF header size {ehsize}, expected {_EHDR.size}")
        if self.type not in (ET_REL, ET_EXEC, ET_DYN):
            raise self._fail(f"unsupported ELF type {self.type}")

    def _sections(self) -> list:
        if self.shoff == 0:
            if self.type == ET_REL:
                raise self._fail("an object file without a section table")
            return []
        shnum, strndx = self.shnum, self.shstrndx
        if shnum == 0 or strndx == SHN_XINDEX:       # counts kept in section 0 (huge files)
            first = self._table(self.shoff, 1, self.shentsize, _SHDR, "section header 0")[0]
            shnum = shnum or first[5]
            strndx = first[6] if strndx == SHN_XINDEX else strndx
        rows = self._table(self.shoff, shnum, self.shentsize, _SHDR, "section table")
        if strndx >= len(rows):
            raise self._fail(f"section name table index {strndx} out of range ({len(rows)} sections)")
        st = rows[strndx]
        if st[1] != SHT_STRTAB:
            raise self._fail("the section name table is not a string table")
        names = self._slice(st[4], st[5], "section name table")
        out = []
        for i, (nm, typ, flags, addr, off, size, link, info, align, entsize) in enumerate(rows):
            name = self._cstr(names, nm)
            if name is None:
                raise self._fail(f"section {i}: name offset {nm} outside the name table")
            if typ != SHT_NOBITS and typ != SHT_NULL:
                self._slice(off, size, f"section {i} ({name!r})")
            if link >= len(rows) and typ in (SHT_SYMTAB, SHT_DYNSYM, SHT_RELA, SHT_REL, SHT_DYNAMIC):
                raise self._fail(f"section {i} ({name!r}) links to section {link}, out of range")
            out.append(Section(i, name, typ, flags, addr, off, size, link, info, align, entsize))
        return out

    def _segments(self) -> list:
        if self.phoff == 0 or self.phnum == 0:
            if self.type in (ET_EXEC, ET_DYN):
                raise self._fail("an executable without program headers")
            return []
        rows = self._table(self.phoff, self.phnum, self.phentsize, _PHDR, "program header table")
        out = []
        for i, (typ, flags, off, vaddr, _paddr, filesz, memsz, align) in enumerate(rows):
            if filesz > memsz and typ == PT_LOAD:
                raise self._fail(f"segment {i}: file size {filesz} above memory size {memsz}")
            if typ in (PT_LOAD, PT_DYNAMIC, PT_TLS):
                self._slice(off, filesz, f"segment {i}")
            out.append(Segment(typ, flags, off, vaddr, filesz, memsz, align))
        return out

    def _symbols(self) -> list:
        tabs = [s for s in self.sections if s.type == SHT_SYMTAB] or \
               [s for s in self.sections if s.type == SHT_DYNSYM]
        if len(tabs) > 1:
            raise self._fail(f"{len(tabs)} symbol tables")
        if not tabs:
            return []
        tab = tabs[0]
        if tab.entsize != _SYM.size or tab.size % _SYM.size:
            raise self._fail(f"symbol table {tab.name!r}: size {tab.size}, entry size {tab.entsize}")
        strs = self.sections[tab.link]
        if strs.type != SHT_STRTAB:
            raise self._fail(f"symbol table {tab.name!r} links to a non-string table")
        names = self._slice(strs.offset, strs.size, "symbol name table")
        out = []
        for i, (nm, info, _other, shndx, value, size) in enumerate(
                self._table(tab.offset, tab.size // _SYM.size, tab.entsize, _SYM, "symbol table")):
            name = self._cstr(names, nm)
            if name is None:
                raise self._fail(f"symbol {i}: name offset {nm} outside the name table")
            out.append(Symbol(name, value, size, info >> 4, info & 0xF, shndx))
        return out

    def _dynamic(self) -> list:
        dyn = [s for s in self.sections if s.type == SHT_DYNAMIC]
        segs = [p for p in self.segments if p.type == PT_DYNAMIC]
        if len(dyn) > 1 or len(segs) > 1:
            raise self._fail("more than one dynamic section or segment")
        if segs:
            off, size = segs[0].offset, segs[0].filesz
        elif dyn:
            off, size = dyn[0].offset, dyn[0].size
        else:
            return []
        if size % _DYN.size:
            raise self._fail(f"dynamic section of {size} bytes, not a whole number of entries")
        out = []
        for tag, val in self._table(off, size // _DYN.size, _DYN.size, _DYN, "dynamic section"):
            if tag == DT_NULL:
                break
            out.append((tag, val))
        return out

    def _relocations(self) -> list:
        out = []
        for s in self.sections:
            if s.type not in (SHT_RELA, SHT_REL):
                continue
            st = _RELA if s.type == SHT_RELA else _REL
            if s.entsize != st.size or s.size % st.size:
                raise self._fail(f"relocation section {s.name!r}: size {s.size}, entry size {s.entsize}")
            for row in self._table(s.offset, s.size // st.size, s.entsize, st, f"relocations {s.name!r}"):
                info = row[1]
                out.append(Reloc(s.index, row[0], info & 0xFFFFFFFF, info >> 32,
                                 row[2] if len(row) > 2 else 0))
        return out

    # -- queries ----------------------------------------------------------

    def dyn(self, tag: int):
        vals = [v for t, v in self.dynamic if t == tag]
        if len(vals) > 1:
            raise self._fail(f"dynamic tag {tag} appears {len(vals)} times")
        return vals[0] if vals else None

    def section_at(self, addr: int):
        """The allocated section holding address addr (None if none)."""
        for s in self.sections:
            if s.alloc and s.addr <= addr < s.addr + max(s.size, 1) and s.type != SHT_NULL:
                return s
        return None

    def read_addr(self, addr: int, size: int) -> bytes:
        """size bytes at virtual address addr, from the PT_LOAD that maps them."""
        for p in self.segments:
            if p.type == PT_LOAD and p.vaddr <= addr and addr + size <= p.vaddr + p.filesz:
                return self._slice(p.offset + addr - p.vaddr, size, f"bytes at {addr:#x}")
        raise self._fail(f"address {addr:#x} (+{size}) is not in the file image")

    @property
    def irelative_type(self) -> int:
        return R_AARCH64_IRELATIVE if self.machine == EM_AARCH64 else R_X86_64_IRELATIVE

    def irelative(self) -> list:
        """Every IRELATIVE relocation (an ifunc resolver run at load time):
        from any relocation section, and in a static executable also those
        between __rela_iplt_start and __rela_iplt_end when the linker left no
        section header around them."""
        found = {(r.offset, r.addend) for r in self.relocations if r.type == self.irelative_type}
        syms = {s.name: s.value for s in self.symbols if s.defined and s.bind != STB_LOCAL}
        lo, hi = syms.get("__rela_iplt_start"), syms.get("__rela_iplt_end")
        if lo is not None and hi is not None and hi > lo:
            if (hi - lo) % _RELA.size:
                raise self._fail("__rela_iplt_start..end is not a whole number of relocations")
            raw = self.read_addr(lo, hi - lo)
            for i in range(0, len(raw), _RELA.size):
                off, info, add = _RELA.unpack_from(raw, i)
                if info & 0xFFFFFFFF != self.irelative_type:
                    raise self._fail(f"relocation of type {info & 0xFFFFFFFF} in the IPLT table")
                found.add((off, add))
        return sorted(found)


def read_archive(path) -> list:
    """The ELF members of a System V / GNU `ar` archive (build/libdriver.a),
    each parsed strictly; the symbol index and long-name table are skipped."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ElfError(f"{path}: cannot read: {e.strerror or e}") from None
    if not data.startswith(b"!<arch>\n"):
        raise ElfError(f"{path}: not an ar archive")
    out, pos = [], 8
    while pos < len(data):
        if pos + 60 > len(data):
            raise ElfError(f"{path}: truncated member header at {pos}")
        hdr = data[pos:pos + 60]
        if hdr[58:60] != b"`\n":
            raise ElfError(f"{path}: bad member header at {pos}")
        name = hdr[:16].decode("ascii", "replace").strip()
        try:
            size = int(hdr[48:58].decode("ascii").strip())
        except ValueError:
            raise ElfError(f"{path}: bad member size at {pos}") from None
        body = data[pos + 60:pos + 60 + size]
        if len(body) != size:
            raise ElfError(f"{path}: member {name!r} runs past the end")
        if body[:4] == b"\x7fELF":
            out.append(Elf(body, f"{path}({name})"))
        pos += 60 + size + (size & 1)
    return out
