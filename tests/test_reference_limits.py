"""The reference allocator (solution/my_alloc.c) at the edges of what a trace may ask.

Its control block counts each slab class's slabs in 16 bits (to keep the
fixed cost of every heap small).  A class can pass 65,535 slabs within the
kit's limits (16 M ids, a 2 GB heap): the count then wraps, and its heap
checker must still agree with it (invariant I8, "modulo 2^16").  Found when
the checker reported "the heap has 66651 slabs of class 0 but the control
block counts 1115" on a correct heap.
"""
from __future__ import annotations

import sys
from pathlib import Path

from kitutil import run

ROOT = Path(__file__).resolve().parents[1]

# Small slabs, so that the wrap needs only ~2 million blocks: a 512-byte slab
# holds at most (512 - 24) / 16 = 30 slots of 16 bytes.
SMALL_SLABS = "#define SLAB_MAX_BYTES 512u\n#define SLAB_MAX_SLOT 64u\n"
BLOCKS = 2_100_000
assert BLOCKS // 30 > 1 << 16          # more slabs of class 0 than 16 bits count


def build_driver(src: Path, tmp_path: Path) -> Path:
    """Build src with the grader (its sandbox and checks); return the kept driver."""
    work = tmp_path / "work"
    p = run([sys.executable, "-m", "grader", str(src), "-f", "traces/short-01-one-block.rep",
             "--no-timing", "-q", "--keep", "--workdir", str(work)], cwd=ROOT, timeout=300)
    drivers = list(work.glob("*/driver"))
    assert len(drivers) == 1, f"no kept driver:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    return drivers[0]


def test_the_heap_checker_agrees_past_65536_slabs_of_a_class(tmp_path):
    src = tmp_path / "my_alloc.c"
    src.write_text(SMALL_SLABS + (ROOT / "solution/my_alloc.c").read_text(encoding="utf-8"))
    trace = tmp_path / "many-slabs.rep"
    with trace.open("w") as f:
        f.write("# 2.1 million 16-byte blocks, then all freed, newest first\n")
        f.writelines(f"a {i} 16\n" for i in range(BLOCKS))
        f.writelines(f"f {i}\n" for i in reversed(range(BLOCKS)))
    driver = build_driver(src, tmp_path)
    # The heap checker after the allocations (the count has wrapped), midway
    # through the frees and at the end (it has wrapped back).
    p = run([str(driver), "-f", str(trace), "--no-timing", "--check-every", str(BLOCKS), "-T", "120"],
            cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "1 of 1 traces correct" in p.stdout
