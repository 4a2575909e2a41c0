"""The allocator host's debug mode under valgrind, as handout.md prints it.

The host is linked statically (no loader, nothing resolved at run time), and
memcheck reports errors inside a static C library on every run.  The kit
ships grader/driver/static-libc.supp for them.  These tests hold both sides
of that file: a correct allocator runs clean under it, and an error in the
allocator's own code is still reported, with the allocator's frame named.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grader import link  # noqa: E402

SUPP = ROOT / "grader/driver/static-libc.supp"
TRACE = ROOT / "traces/short-05-coalesce.rep"

# A working allocator (bump) with one bug valgrind knows: a branch on a stack
# variable nobody wrote.  volatile keeps the read at any -O.
UNINIT = r"""
#include "my_alloc.h"
#include "memlib.h"
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { return mem_sbrk((intptr_t)size); }
void *my_alloc(size_t size) {
    volatile int never_set;
    if (size == 0)
        return 0;
    size_t n = (size + 15) & ~(size_t)15;
    if (never_set == 12345)
        n += 16;
    char *p = mem_sbrk((intptr_t)n);
    return p == (char *)-1 ? 0 : p;
}
void my_free(void *ptr) { (void)ptr; }
"""


def valgrind(allocator: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["valgrind", f"--suppressions={SUPP}", *extra, str(allocator),
                           "--debug", "-f", str(TRACE)],
                          capture_output=True, text=True, timeout=300)


def errors(p: subprocess.CompletedProcess) -> int:
    m = re.search(r"ERROR SUMMARY: (\d+) errors", p.stderr)
    assert m, p.stderr[-2000:]
    return int(m.group(1))


@pytest.fixture(scope="module")
def kit():
    subprocess.run(["make", "-s", "kit"], cwd=ROOT, check=True)


def test_the_reference_runs_clean_under_valgrind_with_the_kit_suppressions(kit):
    p = valgrind(ROOT / "build/allocator-solution")
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    assert errors(p) == 0, p.stderr[-3000:]
    # the file is needed: without it the static C library alone is reported
    bare = subprocess.run(["valgrind", str(ROOT / "build/allocator-solution"), "--debug", "-f", str(TRACE)],
                          capture_output=True, text=True, timeout=300)
    assert errors(bare) > 0, "static-libc.supp suppresses nothing: is it still needed?"


def test_an_error_in_the_allocator_is_not_suppressed(kit, tmp_path):
    src, obj, alloc = tmp_path / "my_alloc.c", tmp_path / "my_alloc.o", tmp_path / "allocator"
    src.write_text(UNINIT)
    subprocess.run(["cc", "-std=c11", "-O1", "-g", "-I", str(ROOT / "include"), "-c", str(src), "-o", str(obj)],
                   check=True)
    link.link_allocator(str(obj), str(alloc))
    p = valgrind(alloc)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    assert errors(p) >= 1, p.stderr[-3000:]
    # the compiler may turn the branch into a conditional move: memcheck then
    # reports the tainted size where it is used, in mem_sbrk called by my_alloc
    assert re.search(r"depends on uninitialised value\(s\)\n(==\d+==    (at|by) 0x[0-9A-F]+: \w+ .*\n)*?"
                     r"==\d+==    (at|by) 0x[0-9A-F]+: my_alloc ", p.stderr), p.stderr[-3000:]
