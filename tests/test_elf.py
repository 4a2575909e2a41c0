"""grader/elf.py and the linked-executable checks (static.check_linked).

Part 1: the reader is strict -- every malformed file is an ElfError naming
the reason, never an empty answer.
Part 2: the attacks under tests/attacks/linked/ are linked, as the grader
links, with a host stub (tests/elf_fixtures/host_stub.c, a stand-in for
libhost.a) both dynamically and statically (-static, full RELRO: the lead's
allocator host), and each must give exactly its rules, at the object level
(check_object) and on the executable (check_linked against the baseline
linked with the empty allocator).  The starter, the solution and the test
allocators give none.
"""
from __future__ import annotations

import struct
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import build, config, elf, static  # noqa: E402

LINKED = REPO / "tests" / "attacks" / "linked"
LINKS = {"dynamic": (), "static": ("-static", "-Wl,-z,relro,-z,now")}

# name: (rules from check_object, rules from check_linked)
EXPECTED = {
    "constructor": ({"interposition"}, {"load-time-code"}),
    "destructor": ({"interposition"}, {"load-time-code"}),
    "init-fragment": ({"interposition"}, {"load-time-code"}),
    "ifunc-contract": ({"load-time-code"}, {"load-time-code"}),
    "ifunc-static": ({"load-time-code"}, {"load-time-code"}),
    "preinit": ({"interposition"}, {"load-time-code"}),
    "init-array-renamed": ({"interposition"}, {"load-time-code"}),
    "data-space-name": ({"global-data"}, {"global-data"}),
    "data-rel-rox": ({"global-data"}, {"global-data"}),
    "data-readonly-flags": ({"global-data"}, {"global-data"}),
    "tls-array": ({"global-data"}, {"global-data"}),
    "rela-iplt-inject": ({"load-time-code"}, {"load-time-code"}),
    "libc-atexit-hook": ({"interposition"}, {"load-time-code"}),
    "honest-relro-table": (set(), set()),
}
HONEST = ["starter/my_alloc.c", "solution/my_alloc.c", "tests/allocators/explicit.c",
          "tests/allocators/implicit.c", "tests/allocators/segregated.c"]


# ---------------------------------------------------------------- part 1

@pytest.fixture(scope="module")
def sample_object(tmp_path_factory):
    d = tmp_path_factory.mktemp("obj")
    (d / "s.c").write_text("int counter; static int hidden[4];\n"
                           "int f(void) { return counter + hidden[1]; }\n"
                           "void g(int v) { hidden[v & 3] = v; }\n")
    subprocess.run(["cc", "-O2", "-c", str(d / "s.c"), "-o", str(d / "s.o")], check=True)
    return (d / "s.o").read_bytes()


def test_reads_a_real_object(sample_object):
    f = elf.Elf(sample_object, "s.o")
    assert f.type == elf.ET_REL
    names = {s.name for s in f.sections}
    assert {".text", ".bss", ".symtab", ".strtab"} <= names
    syms = {s.name: s for s in f.symbols}
    assert syms["f"].type == elf.STT_FUNC and syms["f"].bind == elf.STB_GLOBAL
    assert syms["hidden"].bind == elf.STB_LOCAL and syms["hidden"].size == 16


def _patch(data: bytes, offset: int, fmt: str, value) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


@pytest.mark.parametrize("mutate,reason", [
    (lambda d: d[:40], "too short for an ELF header"),
    (lambda d: b"\x7fELG" + d[4:], "not an ELF file"),
    (lambda d: d[:4] + b"\x01" + d[5:], "not a 64-bit ELF file"),
    (lambda d: d[:5] + b"\x02" + d[6:], "not a little-endian ELF file"),
    (lambda d: _patch(d, 16, "<H", 9), "unsupported ELF type 9"),
    (lambda d: _patch(d, 0x28, "<Q", len(d) - 8), "section table .* lies outside the file"),
    (lambda d: _patch(d, 0x3A, "<H", 40), "section table: entry size 40, expected 64"),
    (lambda d: _patch(d, 0x3E, "<H", 999), "section name table index 999 out of range"),
    (lambda d: d[:len(d) // 2], "lies outside the file"),
])
def test_malformed_files_fail_loudly(sample_object, mutate, reason):
    with pytest.raises(elf.ElfError, match=reason):
        elf.Elf(mutate(sample_object), "bad.o")


def test_a_symbol_table_with_a_bad_entry_size_fails(sample_object):
    f = elf.Elf(sample_object, "s.o")
    symtab = next(s for s in f.sections if s.type == elf.SHT_SYMTAB)
    shdr = f.shoff + symtab.index * 64
    bad = _patch(sample_object, shdr + 56, "<Q", 23)       # sh_entsize
    with pytest.raises(elf.ElfError, match="symbol table '.symtab': size .*, entry size 23"):
        elf.Elf(bad, "bad.o")


def test_a_missing_file_and_an_archive_are_errors_or_members(tmp_path, sample_object):
    with pytest.raises(elf.ElfError, match="cannot read"):
        elf.Elf.read(tmp_path / "nope.o")
    (tmp_path / "s.o").write_bytes(sample_object)
    subprocess.run(["ar", "rcs", str(tmp_path / "l.a"), str(tmp_path / "s.o")], check=True)
    members = elf.read_archive(tmp_path / "l.a")
    assert len(members) == 1 and any(s.name == "f" for s in members[0].symbols)
    (tmp_path / "bad.a").write_bytes(b"!<arch>\n" + b"x" * 30)
    with pytest.raises(elf.ElfError, match="truncated member header"):
        elf.read_archive(tmp_path / "bad.a")


# ---------------------------------------------------------------- part 2

@pytest.fixture(scope="module")
def host(tmp_path_factory):
    d = tmp_path_factory.mktemp("host")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I", str(REPO / "include"),
                    "-c", str(REPO / "tests" / "elf_fixtures" / "host_stub.c"), "-o", str(d / "host.o")],
                   check=True)
    subprocess.run(["ar", "rcs", str(d / "host.a"), str(d / "host.o")], check=True)
    # the host's own malloc goes beside its library, as build/host_malloc.o does
    subprocess.run(["make", "-s", "kit"], cwd=REPO, check=True)
    shutil.copyfile(REPO / "build" / "host_malloc.o", d / "host_malloc.o")
    cfg = config.load()
    baselines = {k: build.baseline_executable(cfg, d / "host.a", d / f"base-{k}", ldflags=v)
                 for k, v in LINKS.items()}
    return d / "host.a", baselines, cfg


def link(source: Path, host, kind: str, tmp_path: Path):
    hostlib, baselines, cfg = host
    obj = tmp_path / "my_alloc.o"
    r = build.compile_object(source.read_bytes(), cfg, str(source), obj)
    assert r.ok, r.reason
    ok, exe, text = build.link_allocator(obj, tmp_path, cfg, hostlib, ldflags=LINKS[kind])
    assert ok, text
    return obj, exe, baselines[kind], cfg


def test_every_linked_attack_has_an_expectation():
    assert {p.name for p in LINKED.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("kind", sorted(LINKS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_linked_attack(name, kind, host, tmp_path):
    want_obj, want_exe = EXPECTED[name]
    obj, exe, base, cfg = link(LINKED / name / "my_alloc.c", host, kind, tmp_path)
    got_obj = {v.rule for v in static.check_object(str(obj), cfg).violations}
    got_exe = static.check_linked(str(exe), str(base), cfg)
    assert got_obj == want_obj
    assert {v.rule for v in got_exe} == want_exe, [v.message for v in got_exe]
    assert all(v.zero for v in got_exe)


@pytest.mark.parametrize("kind", sorted(LINKS))
@pytest.mark.parametrize("source", HONEST)
def test_honest_allocators_pass(source, kind, host, tmp_path):
    obj, exe, base, cfg = link(REPO / source, host, kind, tmp_path)
    assert static.check_object(str(obj), cfg).violations == []
    assert static.check_linked(str(exe), str(base), cfg) == []


def test_the_static_baseline_has_library_ifuncs_that_do_not_count(host):
    """glibc's own ifuncs (memcpy, strlen...) are IRELATIVE relocations in a
    static executable: they are told apart from the submission's (a global
    STT_GNU_IFUNC symbol outside the contract), so they never count."""
    _, baselines, cfg = host
    facts = static.load_time_facts(elf.Elf.read(baselines["static"]), cfg.contract)
    assert facts["IRELATIVE (library ifuncs)"] > 0
    assert facts["IRELATIVE (not a library ifunc)"] == 0


def test_load_time_facts_name_what_was_added(host, tmp_path):
    obj, exe, base, cfg = link(LINKED / "constructor" / "my_alloc.c", host, "dynamic", tmp_path)
    (v,) = static.check_linked(str(exe), str(base), cfg)
    assert "init_array bytes: 16 (without the submission: 8)" in v.message


def test_writable_memory_is_measured_on_segments(host, tmp_path):
    obj, exe, base, cfg = link(LINKED / "data-space-name" / "my_alloc.c", host, "static", tmp_path)
    grown = static.writable_memory(elf.Elf.read(exe)) - static.writable_memory(elf.Elf.read(base))
    assert grown == 64 << 20


def test_an_unreadable_executable_is_never_run(host, tmp_path):
    _, baselines, cfg = host
    junk = tmp_path / "exe"
    junk.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    (v,) = static.check_linked(str(junk), str(baselines["static"]), cfg)
    assert v.rule == "load-time-code" and v.zero and "cannot be verified" in v.message
    with pytest.raises(static.ToolError, match="baseline executable"):
        static.check_linked(str(baselines["static"]), str(junk), cfg)


def test_the_grader_never_runs_a_submission_with_a_constructor(tmp_path):
    """End to end: the constructor would create a file when loaded; the
    grader zeroes the submission on its linked executable and never runs it."""
    marker = tmp_path / "constructor-ran"
    src = tmp_path / "my_alloc.c"
    src.write_text((REPO / "starter" / "my_alloc.c").read_text() +
                   "\n#include <stdio.h>\n__attribute__((constructor)) static void at_load(void)\n"
                   "{ FILE *f = fopen(\"%s\", \"w\"); if (f) fclose(f); }\n" % marker)
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "grader", str(src), "-f",
                        str(REPO / "traces" / "short-01-one-block.rep"), "--no-timing", "-q",
                        "--json", str(out), "--workdir", str(tmp_path / "work")],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    import json
    doc = json.loads(out.read_text())
    assert doc["score"] == 0 and doc["zeroed"] is True, p.stderr
    rules = {v["rule"] for v in doc["static"]["violations"]}
    assert {"interposition", "load-time-code"} <= rules
    assert doc["traces"] == []
    assert not marker.exists()


def test_load_time_code_is_always_zero_whatever_the_config(host, tmp_path):
    import dataclasses
    obj, exe, base, cfg = link(LINKED / "ifunc-static" / "my_alloc.c", host, "static", tmp_path)
    lenient = dataclasses.replace(cfg, penalties=dict(cfg.penalties, **{"load-time-code": 1}))
    (v,) = static.check_linked(str(exe), str(base), lenient)
    assert v.rule == "load-time-code" and v.zero
