"""The HTML report (grader/html_report/): byte accounting, drawing, and the
page rendered for the reference solution and for a buggy allocator.

The accounting tests use hand-made heap dumps whose every byte is known; the
end-to-end tests run the real grader with --html and read the page back with
html.parser, checking its structure and that its numbers agree with the
driver's (payload / final heap == the utilization in the table).
"""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.html_report import heapmap as H
from grader.html_report import page, svg
from grader.model import GradeResult, TraceResult

ROOT = Path(__file__).resolve().parent.parent
VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "source", "area", "base", "col"}
SVG_LEAVES = {"rect", "line", "circle", "polygon", "polyline", "path"}


# ------------------------------------------------------------ accounting --

def test_every_byte_has_exactly_one_category():
    raw = {"when": "peak", "op": 7, "heap_size": 192, "walk": True, "blocks": [
        [16, 48, 32, 20, 0],     # header 16, payload 20, padding 12
        [64, 64, -1, 0, 0],      # free
        [128, 32, 144, 0, 0],    # allocated by the allocator itself: overhead
    ]}
    m = H.analyze(raw, final_heap=256)
    assert m.totals["payload"] == 20
    assert m.totals["overhead"] == 16 + 16 + 32       # prologue gap, header, own block
    assert m.totals["padding"] == 12
    assert m.totals["free"] == 64
    assert m.totals["tail"] == 192 - 160               # above the last block
    assert m.totals["later"] == 256 - 192              # grown after the peak
    assert sum(m.totals.values()) == m.total == 256
    assert m.frac("payload") == pytest.approx(20 / 256)


def test_without_walk_only_payloads_are_known():
    raw = {"when": "peak", "op": 1, "heap_size": 128, "walk": False,
           "blocks": [[32, 20, 32, 20, 0], [64, 40, 64, 40, 0]]}
    m = H.analyze(raw, 160)
    assert m.totals["payload"] == 60
    assert m.totals["unknown"] == 128 - 60
    assert m.totals["later"] == 32
    assert m.totals["overhead"] == m.totals["free"] == m.totals["tail"] == 0


def test_overlapping_and_oversized_blocks_are_counted_once():
    raw = {"when": "end", "op": 3, "heap_size": 100, "walk": True, "blocks": [
        [0, 64, 16, 40, 0], [32, 64, -1, 0, 0], [90, 50, 96, 30, 0]]}
    m = H.analyze(raw, 100)
    assert sum(m.totals.values()) == 100
    assert all(s.end > s.start for s in m.segments)
    assert all(a.end <= b.start for a, b in zip(m.segments, m.segments[1:]))


def test_cells_and_runs_keep_every_byte():
    blocks, off = [], 0
    for i in range(300):                 # alternating small used and free blocks
        size = 32 + 16 * (i % 5)
        blocks.append([off, size, off + 16, size - 20, 0] if i % 3 else [off, size, -1, 0, 0])
        off += size
    m = H.analyze({"when": "peak", "op": 0, "heap_size": off, "walk": True, "blocks": blocks}, off + 500)
    cells = H.bin_cells(m, 64 * 4)
    for c in H.CATEGORIES:
        assert sum(cell.bytes.get(c, 0) for cell in cells) == pytest.approx(m.totals[c])
    runs = H.runs(cells, 64)
    for row in range(4):
        cols = sorted((col, span) for r, col, span, _ in runs if r == row)
        assert [c for c, _ in cols] == [0] + [sum(s for _, s in cols[:k]) for k in range(1, len(cols))]
        assert sum(s for _, s in cols) == 64
    assert len(runs) < len(cells)      # neighbours with the same mix were merged


def test_slab_classes_count_slots():
    raw = {"when": "peak", "op": 0, "heap_size": 256, "walk": True, "blocks": [
        [0, 16, 0, 10, 16], [16, 16, -1, 0, 16], [32, 16, 32, 16, 16], [48, 64, 48, 50, 64],
        [112, 100, 120, 60, 0]]}
    classes = H.slab_classes(H.analyze(raw))
    assert [(c.slot, c.slots, c.used, c.payload) for c in classes] == [(16, 3, 2, 26), (64, 1, 1, 50)]
    assert classes[0].occupancy == pytest.approx(2 / 3)
    assert classes[0].fill == pytest.approx(26 / 32)


def test_chart_keeps_the_peak_and_stays_small():
    n = 20000
    ops = list(range(n))
    payload = [1000 + (i % 50) for i in ops]
    payload[12345] = 9000                  # one spike: the peak
    heap = [10000] * n
    out = svg.util_chart({"op": ops, "payload": payload, "heap": heap}, 12345, 10000, 9000, n)
    points = re.search(r'class="area-payload" points="([^"]+)"', out).group(1).split()
    assert len(points) <= 960 + 2                     # one point per pixel column
    ys = [float(p.split(",")[1]) for p in points]
    cy = float(re.search(r'class="peak-dot" cx="[^"]+" cy="([^"]+)"', out).group(1))
    assert min(ys) == pytest.approx(cy, abs=0.1)     # the spike survived downsampling
    assert "op 12345" in out and "90.0% of the final heap" in out


def test_reproducer_and_diagnosis_are_shown(tmp_path):
    rep = tmp_path / "min.rep"
    rep.write_text("# minimal\n0\n2\n2\n1\na 0 24\nf 0\n")
    t = TraceResult(name="bad<trace>.rep", correct=False, max_points=5,
                    error={"kind": "overlap", "op": 1, "line": 9, "message": "payload <overlaps> id 0"},
                    reproducer={"path": str(rep), "ops": 2})
    ok = TraceResult(name="good.rep", correct=True, util=0.5, points=5, max_points=5)
    html = page.render(GradeResult(submission="x.c", traces=[ok, t], score=5, max_score=10))
    assert html.index("bad&lt;trace&gt;.rep") < html.index("good.rep")    # failing first, escaped
    assert "payload &lt;overlaps&gt; id 0" in html and "<overlaps>" not in html
    assert "Minimal reproducer" in html and "a 0 24\nf 0" in html
    assert "No heap dump for this trace" in html     # a correct trace without --heapdump data


def _walked(payloads: list[int], peak_payload: int) -> str:
    blocks, off = [], 16
    for n in payloads:
        blocks.append([off, n + 16, off + 16, n, 0])
        off += n + 16
    dump = {"when": "peak", "op": 3, "heap_size": 4096, "walk": True, "blocks": blocks}
    t = TraceResult(name="slabby.rep", correct=True, util=peak_payload / 4096, peak_payload=peak_payload,
                    heap_size=4096, points=5, max_points=5, extra={"heapmaps": [dump]})
    return page.render(GradeResult(submission="x.c", traces=[t], score=5, max_score=10))


def test_a_walk_that_omits_blocks_is_called_out():
    """Item 4 of issue 12: a my_heap_walk that skips slab slots made the page's
    pictures (drawn from the walk) contradict its utilization (the driver's)."""
    agree = _walked([1000, 500], 1500)
    assert "disagree with its utilization" not in agree
    short = _walked([1000, 500], 2500)            # 1000 live bytes the walk did not report
    assert "disagree with its utilization" in short
    assert "the driver counted 2,500 bytes of live payload" in short
    assert "reported blocks holding 1,500 bytes" in short and "leaves out" in short


# ------------------------------------------------------- the real thing --

class Page(HTMLParser):
    """Elements with their attributes and the id of the trace section they are in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict, str | None]] = []
        self.section: str | None = None
        self.text: dict[str | None, list[str]] = {}
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._in_table = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "trace" in (a.get("class") or ""):
            self.section = a.get("id")
        if tag == "table" and "traces" in (a.get("class") or ""):
            self._in_table = True
        if tag == "tr" and self._in_table:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
        self.elements.append((tag, a, self.section))
        if tag not in VOID and tag not in SVG_LEAVES:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self.section))

    def handle_endtag(self, tag):
        if tag in SVG_LEAVES and (not self.stack or self.stack[-1] != tag):
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag == "section":
            self.section = None
        if tag == "table":
            self._in_table = False
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.setdefault(self.section, []).append(data)
        if self._row:
            self._row[-1] += data

    def svgs(self, section, cls):
        return [a for t, a, s in self.elements if t == "svg" and s == section and a.get("class") == cls]

    def section_text(self, section):
        return "".join(self.text.get(section, []))


def grade_html(submission: Path, out: Path, traces: list[str]) -> tuple[Page, str]:
    cmd = [sys.executable, "-m", "grader", str(submission), "-q", "--no-timing",
           "--workdir", str(out / "work"), "--html", str(out / "html")]
    for t in traces:
        cmd += ["-f", str(ROOT / "traces" / t)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert f"HTML report: {out / 'html' / 'index.html'}" in p.stderr
    html = (out / "html" / "index.html").read_text()
    doc = Page()
    doc.feed(html)
    doc.close()
    assert doc.stack == ["html"] or doc.stack == [], doc.stack    # every element closed
    return doc, html


def assert_self_contained(doc: Page, html: str) -> None:
    tags = {t for t, _, _ in doc.elements}
    # inline script only (the step-through view's player): nothing is loaded
    assert not tags & {"link", "img", "iframe", "object", "embed"}
    for t, a, _ in doc.elements:
        assert "src" not in a
        assert not a.get("href", "#").startswith(("http:", "https:", "//")), a
    assert "url(" not in html and "@import" not in html


TRACES = ["short-02-odd-sizes.rep", "short-08-big.rep", "synth-tiny.rep"]


def test_report_of_the_solution(tmp_path):
    doc, html = grade_html(ROOT / "solution" / "my_alloc.c", tmp_path, TRACES)
    assert_self_contained(doc, html)
    header, *rows = doc.rows
    assert header[:3] == ["trace", "result", "util"]
    assert [r[0] for r in rows] == TRACES and all(r[1] == "pass" for r in rows)
    bars = [s for s in doc.svgs(None, "mini") if s.get("aria-label") == "where the heap's bytes go"]
    assert len(bars) == len(TRACES)                             # a bar per row
    for row in rows:
        sec = page.anchor(TraceResult(name=row[0]))
        assert len(doc.svgs(sec, "chart")) == 1
        assert len(doc.svgs(sec, "bar")) == 1
        assert len(doc.svgs(sec, "heapmap")) == 2              # at the peak and at the end
        text = doc.section_text(sec)
        # the breakdown's payload share is the utilization shown in the table
        payload = re.search(r"payload \(requested bytes\)[\d,]+ B[\d.]+ (?:B|KiB|MiB)([\d.]+%)", text)
        assert payload and payload.group(1) == row[2], (row, text[:400])
    tiny = page.anchor(TraceResult(name="synth-tiny.rep"))
    assert "Slab occupancy per size class" in doc.section_text(tiny)
    classes = {c for t, a, s in doc.elements if t == "rect" and s == tiny for c in [a.get("class")]}
    assert {"c-payload", "c-free", "c-overhead"} <= classes     # the solution walks its heap
    assert "c-unknown" not in classes
    assert "disagree with its utilization" not in html         # its walk reports every slot
    assert len(html) < 600_000


BUGGY = r"""
/* misaligned.c -- a bump allocator (no my_heap_walk) whose requests above
 * 100000 bytes come back 8 bytes off alignment: the big trace fails. */
#include <stdint.h>
#include "memlib.h"
#include "my_alloc.h"
static size_t round_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }
int my_init(void) { return 0; }
void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round_up(size));
    return p == (void *)-1 ? NULL : p;
}
void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    if (size > 100000) {
        char *p = allocate_slab(size + 16);
        return p ? p + 8 : NULL;
    }
    return allocate_slab(size);
}
void my_free(void *ptr) { (void)ptr; }
"""


def test_report_of_a_buggy_allocator(tmp_path):
    src = tmp_path / "misaligned.c"
    src.write_text(BUGGY)
    doc, html = grade_html(src, tmp_path, TRACES)
    assert_self_contained(doc, html)
    rows = doc.rows[1:]
    assert rows[0][0] == "short-08-big.rep" and rows[0][1] == "FAIL"        # failing first
    assert [r[1] for r in rows[1:]] == ["pass", "pass"]
    bad = page.anchor(TraceResult(name="short-08-big.rep"))
    assert "alignment" in doc.section_text(bad)
    assert not doc.svgs(bad, "chart") and not doc.svgs(bad, "heapmap")
    good = page.anchor(TraceResult(name="synth-tiny.rep"))
    assert len(doc.svgs(good, "heapmap")) == 2
    assert "does not define my_heap_walk" in doc.section_text(good)
    classes = {a.get("class") for t, a, s in doc.elements if t == "rect" and s == good}
    assert "c-unknown" in classes and "c-free" not in classes


def test_a_malformed_heap_dump_costs_only_its_trace():
    bad = TraceResult(name="bad.rep", correct=True, util=0.5, max_points=1,
                      extra={"heapmaps": [{"when": "peak", "heap_size": "lots", "blocks": [["x"]]}],
                             "series": {"op": [0], "payload": [1], "heap": [2]}, "peak_op": 0})
    good = TraceResult(name="good.rep", correct=True, util=0.5, max_points=1)
    html = page.render(GradeResult(submission="x.c", traces=[bad, good]))
    assert "could not be drawn" in html and 'id="t-good-rep"' in html
