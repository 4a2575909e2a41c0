"""The HTML report: one self-contained page (inline CSS and SVG, nothing
fetched) rendered from a GradeResult.  The only script is the step-through
player of steps.py, inline, present only when a trace has per-op frames.

Layout, top to bottom:
  1. the score, the verdict and where the points went;
  2. build errors, static-rule violations and notes, when there are any;
  3. the trace table -- failing traces first -- with a small bar per trace
     showing where the heap's bytes went at the peak;
  4. the legend and how to read the pictures;
  5. one section per trace, in the table's order: a failed trace shows its
     diagnosis, the minimal reproducer when a failure hook made one and the
     allocator's output; a correct trace shows utilization over time, the
     fragmentation breakdown at the peak, heap maps at the peak and at the end,
     and the slab occupancy per size class when the allocator has slabs.

Everything shown comes from the GradeResult; the heap pictures come from the
driver's --heapdump fields, which the grader keeps in TraceResult.extra.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from .. import safetext
from ..model import GradeResult, TraceResult
from . import heapmap as H
from . import steps, svg
from .heapmap import human


def escape(s, quote: bool = True) -> str:
    """HTML-escaped text with control characters made visible (safetext.clean):
    a submission's bytes are data here too."""
    return html.escape(safetext.clean(s), quote)

COLOURS = {
    "payload": "#2e9d5b", "overhead": "#e8912d", "padding": "#f2cb45", "free": "#d64545",
    "tail": "#b9c0ca", "later": "#e9ecf1", "unknown": "#8e7cc3",
}

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
  max-width:1010px;margin:24px auto;padding:0 16px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:0}h3{font-size:15px;margin:18px 0 6px}
.muted{color:#66717e}.small{font-size:13px}
.score{display:flex;gap:28px;align-items:baseline;flex-wrap:wrap;margin:14px 0;padding:14px 18px;
  border:1px solid #d8dde3;border-radius:8px;background:#f7f9fb}
.score .big{font-size:34px;font-weight:700}
.problems{border-left:4px solid #d64545;background:#fdf3f3;padding:8px 14px;margin:12px 0}
.problems li{margin:2px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:middle}
th{background:#f1f4f7;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.traces td:first-child{white-space:nowrap}
tr.fail td{background:#fff6f6}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:700;color:#fff}
.badge.pass{background:#2e9d5b}.badge.fail{background:#c43c3c}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0;font-size:13px}
.sw{display:inline-block;width:13px;height:13px;border-radius:2px;vertical-align:-2px;margin-right:5px;
  border:1px solid rgba(0,0,0,.15)}
section.trace{border:1px solid #d8dde3;border-radius:8px;padding:14px 18px;margin:22px 0}
section.trace header{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
.diag{background:#fdf3f3;border:1px solid #f0c4c4;border-radius:6px;padding:8px 12px;margin:10px 0}
pre{background:#f4f6f8;padding:8px 10px;border-radius:6px;overflow:auto;font-size:12.5px;max-height:320px}
svg{max-width:100%;height:auto;display:block}svg.mini{display:inline-block;vertical-align:middle}
svg text{font:11px system-ui,sans-serif;fill:#52606d}
svg .peak-label{font-weight:600;fill:#b02a2a}
.grid{stroke:#e6e9ed}.axis{stroke:#8a96a3}
.area-payload{fill:#2e9d5b;fill-opacity:.35;stroke:#2e9d5b;stroke-width:1}
.line-heap{fill:none;stroke:#34495e;stroke-width:1.6}
.peak{stroke:#c43c3c;stroke-dasharray:4 3}.peak-dot{fill:#c43c3c}
.c-later{stroke:#cfd5dd;stroke-width:.5}
.key{display:flex;gap:18px;font-size:13px;margin:4px 0}
.breakdown td{padding:2px 8px}
.note{background:#f4f1fb;border-left:4px solid #8e7cc3;padding:6px 12px;margin:8px 0;font-size:14px}
a{color:#1f5fa8}
""" + "".join(f".c-{c}{{fill:{v}}}.sw-{c}{{background:{v}}}" for c, v in COLOURS.items())


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def anchor(t: TraceResult) -> str:
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", t.name)


def ordered(r: GradeResult) -> list[TraceResult]:
    """Failing traces first, then the others, each group in trace order."""
    return [t for t in r.traces if not t.correct] + [t for t in r.traces if t.correct]


def final_heap(t: TraceResult) -> int:
    """The final heap size, exact: the end map's size when there is one
    (the driver's heap_size field is a JSON number that may be rounded)."""
    sizes = [int(m.get("heap_size") or 0) for m in t.extra.get("heapmaps") or []]
    return max(sizes) if sizes else int(round(t.heap_size or 0))


def heap_maps(t: TraceResult) -> dict[str, H.HeapMap]:
    """The analyzed heap maps of a trace, by "when"."""
    final = final_heap(t)
    return {m.get("when", "?"): H.analyze(m, final) for m in t.extra.get("heapmaps") or []}


# ------------------------------------------------------------ sections --

def _header(r: GradeResult) -> str:
    who = r.student or r.submission
    ok = sum(1 for t in r.traces if t.correct)
    parts = [f'<h1>slablab report: {escape(who)}</h1>',
             f'<div class="muted">{escape(r.verdict)}</div>',
             '<div class="score">',
             f'<div><span class="big">{r.score:g}</span> / {r.max_score:g} points</div>',
             f'<div>utilization <b>{r.util_points:g}</b> / {r.util_max:g}</div>',
             f'<div>throughput <b>{r.speed_points:g}</b> / {r.speed_max:g} '
             f'<span class="muted small">({escape(r.speed.mode)})</span></div>']
    if r.penalty:
        parts.append(f'<div>penalties <b>-{r.penalty:g}</b></div>')
    parts.append(f'<div>traces correct <b>{ok}</b> / {len(r.traces)}</div></div>')
    return "\n".join(parts)


def _problems(r: GradeResult) -> str:
    items = []
    if not r.build.ok:
        items.append(f"<li><b>build failed</b>: {escape(r.build.reason)}</li>")
    for d in r.build.diagnostics:
        if d.severity in ("error", "warning"):
            loc = f"{d.file}:{d.line}: " if d.file and d.line else ""
            items.append(f"<li>{escape(loc)}<b>{escape(d.severity)}</b>: {escape(d.message)}</li>")
    if r.static.error:
        items.append(f"<li>static checks could not run: {escape(r.static.error)}</li>")
    for v in r.static.violations:
        cost = "score set to 0" if v.zero else f"-{v.penalty:g} points"
        loc = f"{v.file}:{v.line}: " if v.file and v.line else ""
        items.append(f"<li>{escape(loc)}<b>rule {escape(v.rule)}</b>: {escape(v.message)} ({cost})</li>")
    out = f'<ul class="problems">{"".join(items)}</ul>' if items else ""
    if r.build.output and not r.build.ok:
        out += f"<details><summary>compiler output</summary><pre>{escape(r.build.output[-6000:])}</pre></details>"
    if r.notes:
        out += "".join(f'<div class="note">{escape(n)}</div>' for n in r.notes)
    return out


HIDDEN = ' <span class="muted">(hidden)</span>'


def _table(r: GradeResult, maps: dict) -> str:
    rows = ['<table class="traces"><thead><tr><th>trace</th><th>result</th><th class="num">util</th>'
            '<th class="num">ceiling</th><th class="num">vs libc</th><th class="num">points</th>'
            '<th>heap at peak</th><th>why</th></tr></thead><tbody>']
    for t in ordered(r):
        peak = maps[t.name].get("peak")
        bar = svg.stacked_bar(peak.totals, peak.total, 150, 12, "mini") if peak else \
            '<span class="muted">-</span>'
        res = '<span class="badge pass">pass</span>' if t.correct else '<span class="badge fail">FAIL</span>'
        why = t.error_text if not t.correct else t.reason
        ratio = "-" if t.speed_ratio is None else f"{t.speed_ratio:.2f}x"
        rows.append(
            f'<tr class="{"pass" if t.correct else "fail"}"><td><a href="#{anchor(t)}">{escape(t.name)}</a>'
            f'{HIDDEN if t.hidden else ""}</td><td>{res}</td>'
            f'<td class="num">{_pct(t.util)}</td><td class="num">{_pct(t.ceiling)}</td>'
            f'<td class="num">{ratio}</td><td class="num">{t.points:g} / {t.max_points:g}</td>'
            f'<td>{bar}</td><td class="small">{escape(why[:160])}</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _legend(cats=H.CATEGORIES) -> str:
    return '<div class="legend">' + "".join(
        f'<span><span class="sw sw-{c}"></span>{escape(H.LABELS[c])}</span>' for c in cats) + "</div>"


HOW_TO_READ = """
<p class="small">Utilization is the peak of the live payload divided by the <b>final</b> heap size.
Every byte of that final heap is counted once in one colour below, so in the bars and tables
<b>payload / total = utilization</b>. Headers and padding are <i>internal</i> fragmentation (bytes
inside blocks the program did not ask for); free blocks are <i>external</i> fragmentation (memory
the allocator owns but cannot hand out in the right size); the untouched tail is heap the
allocator grew but never carved into blocks; "grown after this moment" is heap requested later
than the peak, which the score still divides by. A heap map draws the heap from its first byte
(top left) to the final heap size (bottom right); a cell stacks the colours of its bytes (a cell
of tiny blocks is part payload, part header); hover a cell for its blocks. Allocators without <code>my_heap_walk</code> (see
<code>include/my_alloc.h</code>) show only their live payloads.</p>
"""


def _diagnosis(t: TraceResult) -> str:
    e = t.error or {}
    where = []
    if e.get("op") is not None:
        where.append(f"at operation {e['op']}")
    if e.get("line") is not None:
        where.append(f"trace line {e['line']}")
    out = (f'<div class="diag"><b>{escape(str(e.get("kind", "failed")))}</b> '
           f'{escape(", ".join(where))}<br>{escape(str(e.get("message", "")))}</div>')
    rep = t.reproducer
    if rep:
        out += "<h3>Minimal reproducer</h3>"
        info = ", ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in rep.items() if k not in ("text", "frames"))
        out += f'<div class="small">{info}</div>'
        text = rep.get("text")
        path = rep.get("path")
        if text is None and path:
            try:
                p = Path(path)
                if p.is_file() and p.stat().st_size <= 64 * 1024:
                    text = p.read_text(errors="replace")
            except OSError:
                text = None
        if text:
            lines = text.splitlines()
            shown = "\n".join(lines[:80]) + (f"\n... ({len(lines) - 80} more lines)" if len(lines) > 80 else "")
            out += f"<pre>{escape(shown)}</pre>"
    return out


def _breakdown(m: H.HeapMap, util: float | None) -> str:
    cats = [c for c in H.CATEGORIES if m.totals.get(c)]
    rows = "".join(
        f'<tr><td><span class="sw sw-{c}"></span>{escape(H.LABELS[c])}</td>'
        f'<td class="num">{m.totals[c]:,} B</td><td class="num">{human(m.totals[c])}</td>'
        f'<td class="num">{m.frac(c):.1%}</td></tr>' for c in cats)
    rows += (f'<tr><th>final heap</th><th class="num">{m.total:,} B</th>'
             f'<th class="num">{human(m.total)}</th><th class="num">100%</th></tr>')
    internal = m.frac("overhead") + m.frac("padding")
    if m.walk:
        words = (f"At the peak, <b>{m.frac('payload'):.1%}</b> of the final heap is payload "
                 f"(the utilization); internal fragmentation (headers + padding) takes "
                 f"<b>{internal:.1%}</b>, external fragmentation (free blocks) <b>{m.frac('free'):.1%}</b>, "
                 f"the untouched tail {m.frac('tail'):.1%} and heap grown after the peak "
                 f"{m.frac('later'):.1%}.")
    else:
        words = (f"At the peak, <b>{m.frac('payload'):.1%}</b> of the final heap is payload; "
                 f"{m.frac('unknown'):.1%} is overhead or free space (this allocator has no "
                 f"<code>my_heap_walk</code>, so the two cannot be told apart) and "
                 f"{m.frac('later'):.1%} was grown after the peak.")
    return (svg.stacked_bar(m.totals, m.total) + f'<p class="small">{words}</p>'
            f'<table class="breakdown small"><thead><tr><th>category</th><th class="num">bytes</th>'
            f'<th class="num"></th><th class="num">of final heap</th></tr></thead><tbody>{rows}</tbody></table>')


def _walk_warning(t: TraceResult, m: H.HeapMap) -> str:
    """A warning when the heap walk's payload disagrees with the driver's peak:
    the pictures are drawn from my_heap_walk, the utilization from the driver,
    so a walk that leaves blocks out (slab slots, most often) makes the page
    contradict its own table unless it says so."""
    if not m.walk or not t.peak_payload:
        return ""
    walked, live = m.totals.get("payload", 0), int(t.peak_payload)
    if abs(walked - live) <= max(16, live // 1000):
        return ""
    return (f'<div class="problems"><b>The heap pictures of this trace disagree with its utilization.</b> '
            f"At the peak the driver counted {live:,} bytes of live payload (utilization "
            f"{_pct(t.util)}), but <code>my_heap_walk</code> reported blocks holding {walked:,} bytes of "
            f"payload ({m.frac('payload'):.1%} of the heap in the pictures below). Your "
            f"<code>my_heap_walk</code> {'leaves out' if walked < live else 'double-counts'} some live "
            "blocks -- typically the slots of a slab: report every block, each slab slot as its own "
            "block with <code>slab_class</code> set, in address order (include/my_alloc.h). "
            "The score uses the driver's numbers, not the walk's.</div>")


def _slabs(m: H.HeapMap) -> str:
    classes = H.slab_classes(m)
    if not classes:
        return ""
    rows = "".join(
        f'<tr><td class="num">{c.slot} B</td><td class="num">{c.used:,} / {c.slots:,}</td>'
        f'<td>{svg.occupancy_bar(c.used, c.slots)}</td><td class="num">{c.occupancy:.0%}</td>'
        f'<td class="num">{human(c.payload)}</td><td class="num">{c.fill:.0%}</td></tr>' for c in classes)
    return ("<h3>Slab occupancy per size class at the peak</h3>"
            '<table class="small"><thead><tr><th class="num">slot size</th><th class="num">slots used</th>'
            '<th></th><th class="num">occupancy</th><th class="num">payload</th>'
            '<th class="num">payload / used slots</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            '<p class="small muted">Free slots are external fragmentation inside the slabs; '
            "payload / used slots below 100% is the rounding of requests up to the slot size.</p>")


def _trace_section(t: TraceResult, maps: dict[str, H.HeapMap]) -> str:
    badge = '<span class="badge pass">pass</span>' if t.correct else '<span class="badge fail">FAIL</span>'
    facts = [f"{t.points:g} / {t.max_points:g} points"]
    if t.ops is not None:
        facts.append(f"{t.ops:,} operations")
    if t.util is not None:
        facts.append(f"utilization {t.util:.1%}" + (f" (ceiling {t.ceiling:.1%})" if t.ceiling else ""))
    if t.speed_ratio is not None:
        facts.append(f"{t.speed_ratio:.2f}x libc")
    out = [f'<section class="trace" id="{anchor(t)}"><header><h2>{escape(t.name)}</h2>{badge}'
           f'<span class="muted small">{escape(" · ".join(facts))}</span></header>']
    if t.reason:
        out.append(f'<div class="small">points lost: {escape(t.reason)}</div>')
    if not t.correct:
        out.append(_diagnosis(t))
    series = t.extra.get("series")
    if t.correct and series:
        peak_payload = t.peak_payload or 0
        out.append("<h3>Utilization over time</h3>")
        out.append('<div class="key"><span><span class="sw sw-payload"></span>live payload</span>'
                   '<span><span class="sw" style="background:#34495e"></span>heap size</span>'
                   '<span><span class="sw" style="background:#c43c3c"></span>peak</span></div>')
        out.append(svg.util_chart(series, t.extra.get("peak_op"), final_heap(t), peak_payload, t.ops or 0))
    peak, end = maps.get("peak"), maps.get("end")
    if t.correct and peak:
        out.append("<h3>Where the bytes go at the peak</h3>")
        out.append(_walk_warning(t, peak))
        out.append(_breakdown(peak, t.util))
        if not peak.walk:
            out.append('<div class="note">This allocator does not define <code>my_heap_walk</code>, so the '
                       "maps show only the live payloads. Define it (include/my_alloc.h) to see headers, "
                       "padding and free blocks.</div>")
        out.append(f"<h3>Heap map at the peak (after op {peak.op})</h3>")
        out.append(svg.heap_strip(peak))
    if t.correct and end:
        out.append(f"<h3>Heap map at the end (after op {end.op})</h3>")
        out.append(svg.heap_strip(end))
    if t.correct and peak:
        out.append(_slabs(peak))
    if t.correct and not series and not peak:
        out.append('<p class="muted small">No heap dump for this trace (the driver ran without --heapdump).</p>')
    if t.output:
        out.append(f"<details><summary>allocator output</summary><pre>{escape(t.output[:4000])}</pre></details>")
    out.append(_safe(steps.section, t, "", anchor(t)))    # per-op frames (short and shrunk traces), last
    out.append("</section>")
    return "\n".join(out)


def _safe(fn, t: TraceResult, fallback, *args):
    """fn(t, *args), or `fallback` when the trace's data cannot be drawn: one
    malformed heap dump must cost its pictures, never the whole report."""
    try:
        return fn(t, *args)
    except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, AttributeError) as e:
        t.extra["report_error"] = f"{type(e).__name__}: {e}"
        return fallback


def _broken_section(t: TraceResult) -> str:
    return (f'<section class="trace" id="{anchor(t)}"><header><h2>{escape(t.name)}</h2></header>'
            f'<div class="diag">this trace\'s data could not be drawn '
            f'({escape(str(t.extra.get("report_error", "")))})</div></section>')


def render(r: GradeResult) -> str:
    """The whole page, as a string."""
    maps = {t.name: _safe(heap_maps, t, {}) if t.correct else {} for t in r.traces}
    used = {c for ms in maps.values() for m in ms.values() for c, v in m.totals.items() if v}
    legend_cats = [c for c in H.CATEGORIES if c in used] or list(H.CATEGORIES[:5])
    v = r.versions or {}
    body = [_header(r), _problems(r)]
    if r.traces:
        body += ["<h2 style='margin-top:18px'>Traces</h2>", _table(r, maps),
                 "<h3>Colours</h3>", _legend(legend_cats), HOW_TO_READ]
        body += [_safe(_trace_section, t, None, maps[t.name]) or _broken_section(t) for t in ordered(r)]
    body.append(f'<footer class="muted small">grader {escape(str(v.get("grader", "?")))} · '
                f'{escape(str(v.get("compiler", "")))} · config {escape(r.config_path)}</footer>')
    has_steps = any('<section class="steps"' in b for b in body if b)
    if has_steps:
        body.append(steps.script())
    title = f"slablab report: {r.student or r.submission}"
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}{steps.CSS if has_steps else ''}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
