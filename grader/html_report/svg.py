"""Inline SVG pictures for the HTML report: pure functions from data to markup.

Every picture is static SVG (no script): it opens from a file in any browser.
Colours come from CSS classes named after the heap categories (`c-payload`,
`c-free`, ...; see page.py), so the legend and the pictures cannot disagree.
Sizes are kept small on purpose: charts are downsampled to one point per
pixel column, heap maps are drawn as runs of same-coloured cells.
"""
from __future__ import annotations

from html import escape

from . import heapmap as H
from .heapmap import human


def _n(x: float) -> str:
    """A coordinate with at most one decimal: keeps the markup short."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _svg(w: float, h: float, body: str, label: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<svg{c} xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(w)} {_n(h)}" '
            f'width="{_n(w)}" height="{_n(h)}" role="img" aria-label="{escape(label)}">'
            f"<title>{escape(label)}</title>{body}</svg>")


# ------------------------------------------------- utilization over time --

def _ticks(hi: float, n: int = 4) -> list[float]:
    """About n round tick values in [0, hi]."""
    if hi <= 0:
        return [0.0]
    raw = hi / n
    mag = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * mag >= raw:
            step *= mag
            break
    return [i * step for i in range(int(hi // step) + 1)]


def _byte_ticks(hi: float, n: int = 4) -> list[float]:
    """Tick values that are round in KiB/MiB, so the labels read well."""
    unit = 1
    while hi / unit >= 1024 * 4:
        unit *= 1024
    return [t * unit for t in _ticks(hi / unit, n)]


def util_chart(series: dict, peak_op: int | None, final_heap: int, peak_payload: int,
               ops: int, width: int = 960, height: int = 230) -> str:
    """Live payload (area) and heap size (line) against operation index, peak marked."""
    xs, pay, heap = series.get("op") or [], series.get("payload") or [], series.get("heap") or []
    n = min(len(xs), len(pay), len(heap))
    left, right, top, bottom = 72, 16, 22, 30
    pw, ph = width - left - right, height - top - bottom
    xmax = max(ops - 1, xs[n - 1] if n else 0, 1)
    ymax = max([final_heap, peak_payload] + list(heap[:n]) + list(pay[:n]) + [1]) * 1.08

    def X(op):
        return left + pw * op / xmax

    def Y(v):
        return top + ph * (1 - v / ymax)

    # One point per pixel column: the max of each column keeps every spike.
    cols: dict[int, list] = {}
    for i in range(n):
        px = int(round(X(xs[i])))
        c = cols.get(px)
        if c is None:
            cols[px] = [pay[i], heap[i]]
        else:
            c[0], c[1] = max(c[0], pay[i]), max(c[1], heap[i])
    pts = sorted(cols.items())
    body = []
    for t in _byte_ticks(ymax / 1.08):
        y = Y(t)
        body.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}"/>'
                    f'<text class="ax" x="{left - 6}" y="{_n(y + 4)}" text-anchor="end">{human(t)}</text>')
    for t in _ticks(xmax, 5):
        x = X(t)
        body.append(f'<text class="ax" x="{_n(x)}" y="{height - 10}" text-anchor="middle">{t:g}</text>')
    body.append(f'<text class="ax" x="{width - right}" y="{top - 8}" text-anchor="end">operation index</text>')
    if pts:
        area = [f"{_n(pts[0][0])},{_n(Y(0))}"] + [f"{px},{_n(Y(v[0]))}" for px, v in pts] \
            + [f"{_n(pts[-1][0])},{_n(Y(0))}"]
        body.append(f'<polygon class="area-payload" points="{" ".join(area)}"><title>live payload</title></polygon>')
        line = " ".join(f"{px},{_n(Y(v[1]))}" for px, v in pts)
        body.append(f'<polyline class="line-heap" points="{line}"><title>heap size</title></polyline>')
    body.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{_n(Y(0))}" y2="{_n(Y(0))}"/>')
    if peak_op is not None:
        x, y = X(peak_op), Y(peak_payload)
        util = peak_payload / final_heap if final_heap else 0
        label = (f"peak: {human(peak_payload)} live after op {peak_op} = "
                 f"{util:.1%} of the final heap ({human(final_heap)})")
        anchor = "end" if x > left + pw * 0.6 else "start"
        dx = -8 if anchor == "end" else 8
        body.append(f'<line class="peak" x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(Y(0))}"/>'
                    f'<circle class="peak-dot" cx="{_n(x)}" cy="{_n(y)}" r="4"><title>{escape(label)}</title></circle>'
                    f'<text class="peak-label" x="{_n(x + dx)}" y="{top + 12}" text-anchor="{anchor}">'
                    f"{escape(label)}</text>")
    return _svg(width, height, "".join(body), "utilization over time: live payload and heap size",
                "chart")


# ------------------------------------------------------------ heap map --

def _cell_title(m: H.HeapMap, cell: H.Cell) -> str:
    span = f"+{int(cell.start):#x}..+{int(cell.end):#x} ({human(cell.end - cell.start)})"
    size = cell.end - cell.start or 1
    parts = ", ".join(f"{c} {cell.bytes[c] / size:.0%}" for c in H.CATEGORIES
                      if cell.bytes.get(c, 0) / size >= 0.005)
    text = f"{span}: {parts}"
    if cell.first >= 0:
        if cell.first == cell.last:
            text += "\n" + H.block_text(m.blocks[cell.first])
        else:
            sizes = [b[H.SIZE] for b in m.blocks[cell.first:cell.last + 1]]
            text += (f"\n{cell.last - cell.first + 1} blocks, sizes "
                     f"{human(min(sizes))}..{human(max(sizes))}")
    return text


# Columns per row, finest first; a map with more runs than MAX_RUNS at one
# resolution is drawn at the next, so the page stays small (each run costs
# about 200 bytes of markup with its hover text).
COLUMNS = (224, 160, 112, 64)
MAX_RUNS = 450


def heap_strip(m: H.HeapMap, rows: int = 8, width: int = 960) -> str:
    """The heap as rows of cells, left to right then top to bottom, from the
    first heap byte to the final heap size.  A cell shows its mix of categories
    as stacked bands (a cell of tiny blocks is part payload, part header);
    neighbouring cells with the same mix are drawn as one run."""
    label_w, row_h, gap = 64, 16, 4
    for cols in COLUMNS:
        runs = H.runs(H.bin_cells(m, cols * rows), cols)
        if len(runs) <= MAX_RUNS:
            break
    cw = (width - label_w) / cols
    body = []
    for r in range(rows):
        off = m.total * r / rows
        body.append(f'<text class="ax" x="{label_w - 6}" y="{r * (row_h + gap) + 12}" '
                    f'text-anchor="end">{human(off)}</text>')
    for row, col, span, cell in runs:
        x, y, w = label_w + col * cw, row * (row_h + gap), span * cw
        # The run's mix of categories, stacked top to bottom in legend order.
        size = cell.end - cell.start or 1
        bands, top = [], 0.0
        for c in H.CATEGORIES:
            h = row_h * cell.bytes.get(c, 0) / size
            if h >= 0.75:
                bands.append((c, top, h))
                top += h
        if not bands:
            bands = [(cell.dominant, 0.0, row_h)]
        scale = row_h / sum(h for _, _, h in bands)     # the dropped slivers' share
        rects = "".join(f'<rect class="c-{c}" x="{_n(x)}" y="{_n(y + t * scale)}" width="{_n(w)}" '
                        f'height="{_n(h * scale)}"/>' for c, t, h in bands)
        body.append(f"<g><title>{escape(_cell_title(m, cell))}</title>{rects}</g>")
    height = rows * (row_h + gap) - gap
    what = "peak utilization" if m.when == "peak" else "the end of the trace"
    return _svg(width, height, "".join(body),
                f"heap map at {what} (after op {m.op}), {human(m.total)}", "heapmap")


# ------------------------------------------------------ stacked bars --

def stacked_bar(totals: dict, total: int, width: int = 960, height: int = 26,
                cls: str = "bar") -> str:
    """One horizontal bar: each category's share of `total`, in legend order."""
    body, x = [], 0.0
    for c in H.CATEGORIES:
        v = totals.get(c, 0)
        if not v or not total:
            continue
        w = width * v / total
        body.append(f'<rect class="c-{c}" x="{_n(x)}" y="0" width="{_n(max(w, 0.5))}" height="{height}">'
                    f"<title>{escape(H.LABELS[c])}: {human(v)} ({v / total:.1%})</title></rect>")
        x += w
    return _svg(width, height, "".join(body), "where the heap's bytes go", cls)


def occupancy_bar(used: int, slots: int, width: int = 200, height: int = 12) -> str:
    """Used slots of a slab class, as a bar."""
    w = width * used / slots if slots else 0
    return _svg(width, height,
                f'<rect class="c-free" x="0" y="0" width="{width}" height="{height}"/>'
                f'<rect class="c-payload" x="0" y="0" width="{_n(w)}" height="{height}"/>',
                f"{used} of {slots} slots in use", "mini")
