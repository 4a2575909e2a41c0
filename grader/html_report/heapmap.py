"""Heap maps: what every byte of the heap holds at one moment of a trace.

Input is one heap map of the driver's `--heapdump` JSON (see README, "driver"):

    {"when": "peak"|"end", "op": k, "heap_size": H, "walk": bool,
     "blocks": [[offset, size, payload_offset, requested, slab_class], ...]}

offsets are from the heap's first byte; payload_offset is -1 for a free block.
With walk=false the allocator has no my_heap_walk and the blocks are only the
live payloads the driver knows about.

Every byte of the FINAL heap (the size utilization divides by) gets exactly
one category, so the categories of a map always add up to the final heap
size, and payload / total is the trace's utilization at the peak:

    payload   bytes the trace asked for, in live blocks
    overhead  bytes before the payload inside an allocated block (header),
              allocated blocks the trace does not know (the allocator's own
              bookkeeping), and bytes between reported blocks (prologue, slab
              headers, epilogue)
    padding   bytes after the requested payload inside an allocated block:
              alignment, size-class rounding, an unsplit remainder, and the
              footer when there is one (the walk cannot tell them apart)
    free      free blocks and free slab slots: external fragmentation
    tail      heap bytes above the last reported block, not carved into blocks
    later     (peak map) bytes the heap grew by after this moment
    unknown   (walk=false) bytes that are not a live payload: overhead or free,
              the allocator has no my_heap_walk to say which

overhead + padding is internal fragmentation; free is external fragmentation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Drawing and legend order; the keys are also the CSS class names.
CATEGORIES = ("payload", "overhead", "padding", "free", "tail", "later", "unknown")

LABELS = {
    "payload": "payload (requested bytes)",
    "overhead": "headers & allocator metadata",
    "padding": "padding & rounding (incl. footers)",
    "free": "free blocks (external fragmentation)",
    "tail": "untouched tail (above the last block)",
    "later": "heap grown after this moment",
    "unknown": "not a live payload (overhead or free: no my_heap_walk)",
}

OFFSET, SIZE, PAYLOAD_OFFSET, REQUESTED, SLAB_CLASS = range(5)


@dataclass
class Segment:
    """A run of bytes [start, end) of one category, inside block `block` (-1: none)."""
    start: int
    end: int
    cat: str
    block: int = -1


@dataclass
class HeapMap:
    when: str
    op: int
    heap_size: int          # the heap at this moment
    total: int              # the final heap size: the map's scale
    walk: bool
    blocks: list            # as in the JSON
    segments: list[Segment] = field(default_factory=list)
    totals: dict = field(default_factory=dict)   # category -> bytes; sums to `total`

    def frac(self, cat: str) -> float:
        return self.totals.get(cat, 0) / self.total if self.total else 0.0


def _block_segments(i: int, b: list) -> list[Segment]:
    """The categories inside one reported block."""
    off, size, poff, req = b[OFFSET], b[SIZE], b[PAYLOAD_OFFSET], b[REQUESTED]
    end = off + size
    if poff < 0:
        return [Segment(off, end, "free", i)]
    if req <= 0:                         # allocated, but not by the trace: bookkeeping
        return [Segment(off, end, "overhead", i)]
    poff = min(max(poff, off), end)      # never trust a walk to stay inside its block
    pend = min(poff + req, end)
    segs = [Segment(off, poff, "overhead", i), Segment(poff, pend, "payload", i),
            Segment(pend, end, "padding", i)]
    return [s for s in segs if s.end > s.start]


def analyze(raw: dict, final_heap: int | None = None) -> HeapMap:
    """Categorize every byte of [0, final_heap) for one heap map of the JSON."""
    heap = int(raw.get("heap_size") or 0)
    total = max(int(final_heap or 0), heap)
    walk = bool(raw.get("walk"))
    blocks = sorted((list(b) for b in raw.get("blocks") or []), key=lambda b: b[OFFSET])
    m = HeapMap(raw.get("when", "?"), int(raw.get("op") or 0), heap, total, walk, blocks)
    gap = "overhead" if walk else "unknown"
    segs: list[Segment] = []
    pos = 0                              # every byte below pos has a category
    for i, b in enumerate(blocks):
        if walk:
            inner = _block_segments(i, b)
        else:                            # only the live payloads are known
            inner = [Segment(b[OFFSET], b[OFFSET] + b[REQUESTED], "payload", i)]
        for s in inner:                  # clip: count each byte once, inside the heap
            s.start, s.end = max(s.start, pos), min(s.end, heap)
            if s.end <= s.start:
                continue
            if s.start > pos:
                segs.append(Segment(pos, s.start, gap))
            segs.append(s)
            pos = s.end
    if heap > pos:
        segs.append(Segment(pos, heap, "tail" if walk else "unknown"))
        pos = heap
    if total > pos:
        segs.append(Segment(pos, total, "later"))
    m.segments = [s for s in segs if s.end > s.start]
    m.totals = {c: 0 for c in CATEGORIES}
    for s in m.segments:
        m.totals[s.cat] += s.end - s.start
    return m


# ------------------------------------------------------------- binning --

@dataclass
class Cell:
    """A stretch of the heap drawn as one rectangle: bytes per category and
    the range of blocks [first, last] it touches (-1: none)."""
    start: float
    end: float
    bytes: dict = field(default_factory=dict)
    first: int = -1
    last: int = -1

    def signature(self, steps: int = 2) -> tuple:
        """The cell's mix of categories, rounded to 1/steps: neighbours with
        the same signature look alike and are drawn as one run (whose bands
        then show the exact mix of the merged bytes)."""
        size = self.end - self.start
        if not size:
            return ()
        return tuple(round(steps * self.bytes.get(c, 0) / size) for c in CATEGORIES)

    @property
    def dominant(self) -> str:
        if not self.bytes:
            return "later"
        return max(CATEGORIES, key=lambda c: (self.bytes.get(c, 0), -CATEGORIES.index(c)))

    def merge(self, other: "Cell") -> None:
        self.end = other.end
        for c, n in other.bytes.items():
            self.bytes[c] = self.bytes.get(c, 0) + n
        if other.first >= 0:
            if self.first < 0:
                self.first = other.first
            self.last = other.last


def bin_cells(m: HeapMap, n: int) -> list[Cell]:
    """Split [0, total) into n equal cells and count each category in each."""
    cells = [Cell(m.total * i / n, m.total * (i + 1) / n) for i in range(n)]
    if not m.total:
        return cells
    k = 0
    for s in m.segments:
        k = min(k, n - 1)
        while k < n and cells[k].end <= s.start:
            k += 1
        j = k
        while j < n and cells[j].start < s.end:
            c = cells[j]
            overlap = min(c.end, s.end) - max(c.start, s.start)
            if overlap > 0:
                c.bytes[s.cat] = c.bytes.get(s.cat, 0) + overlap
                if s.block >= 0:
                    if c.first < 0:
                        c.first = s.block
                    c.last = s.block
            if c.end > s.end:
                break
            j += 1
        k = j
    return cells


def runs(cells: list[Cell], per_row: int) -> list[tuple[int, int, int, Cell]]:
    """Merge neighbouring cells of one row that share their mix of categories.

    Returns (row, first column, columns spanned, merged cell).  One rectangle
    per run keeps the SVG small however many blocks the heap has.
    """
    out: list[tuple[int, int, int, Cell]] = []
    for row_start in range(0, len(cells), per_row):
        row = row_start // per_row
        cur: Cell | None = None
        col0 = span = 0
        for col, c in enumerate(cells[row_start:row_start + per_row]):
            if cur is not None and c.signature() == sig:
                cur.merge(c)
                span += 1
                continue
            if cur is not None:
                out.append((row, col0, span, cur))
            cur = Cell(c.start, c.end, dict(c.bytes), c.first, c.last)
            sig = c.signature()
            col0, span = col, 1
        if cur is not None:
            out.append((row, col0, span, cur))
    return out


# -------------------------------------------------------- slab classes --

@dataclass
class SlabClass:
    slot: int
    slots: int = 0
    used: int = 0
    payload: int = 0

    @property
    def occupancy(self) -> float:
        return self.used / self.slots if self.slots else 0.0

    @property
    def fill(self) -> float:
        """Payload bytes over the bytes of used slots: rounding inside the class."""
        return self.payload / (self.used * self.slot) if self.used and self.slot else 0.0


def slab_classes(m: HeapMap) -> list[SlabClass]:
    """Per slot size: how many slots exist, how many are in use, their payload."""
    by: dict[int, SlabClass] = {}
    for b in m.blocks:
        cls = b[SLAB_CLASS] if len(b) > SLAB_CLASS else 0
        if not cls:
            continue
        s = by.setdefault(cls, SlabClass(cls))
        s.slots += 1
        if b[PAYLOAD_OFFSET] >= 0:
            s.used += 1
            s.payload += max(0, b[REQUESTED])
    return [by[k] for k in sorted(by)]


def block_text(b: list) -> str:
    """One block in words, for hover titles."""
    off, size, poff, req = b[OFFSET], b[SIZE], b[PAYLOAD_OFFSET], b[REQUESTED]
    cls = b[SLAB_CLASS] if len(b) > SLAB_CLASS else 0
    where = f"block at +{off:#x}, {human(size)}" + (f" (slab slot of class {cls} B)" if cls else "")
    if poff < 0:
        return where + ": free"
    if req <= 0:
        return where + ": allocated by the allocator itself"
    return (where + f": payload {human(req)}, header {human(poff - off)}, "
            f"padding {human(max(0, off + size - poff - req))}")


def human(n: float) -> str:
    """Bytes for people: 812 B, 12.5 KiB, 3.10 MiB."""
    n = float(n)
    if abs(n) < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if abs(n) < 100 else f"{n:.0f} {unit}"
    return f"{n:.0f} GiB"
