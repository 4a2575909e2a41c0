"""The step-through view of the HTML report: a trace replayed one operation
per frame, for short and shrunk traces.

Input: a trace's per-op frames, from the driver's `--frames N` (emitted only
for traces of at most N operations; TraceResult.extra["frames"]) or from a
failure hook that ran the driver on the minimal reproducer
(trace.reproducer["frames"]).  One frame after each op of the first checked
replay, in this schema:

    {"op": i, "line": L, "kind": "alloc"|"free"|"realloc", "id": ID,
     "size": BYTES, "offset": payload offset from the heap start or null,
     "heap_size": BYTES, "live_payload": BYTES, "walk": bool,
     "blocks": [[offset, size, payload_offset | -1 if free, requested, slab_class], ...]}

With walk=false (no my_heap_walk) the blocks are only the live payloads.

What this module computes, in Python so that it is tested and the browser
only draws:
  * a delta per frame: the blocks that disappeared (by offset) and the blocks
    that are new or changed since the previous frame -- the highlight (the
    block just allocated, freed, split off or coalesced) and what keeps the
    page small: a 200-op trace of a slab allocator reports ~600 blocks per
    frame, which as full lists would be ~2 MB;
  * what happened, in words: split, coalesced, heap grew, slab slot;
  * utilization so far: the peak live payload up to this op over the heap
    size now (the trace's utilization is this number at the last op);
  * the overlaps: the op's payload against the other live payloads, tracked
    from the ops themselves (independent of what the allocator's walk says).

Invariants: everything from the submission or the trace (ids, sizes, offsets,
messages) reaches the page only as JSON data inside a
<script type="application/json"> element, with `<`, `>` and `&` escaped as
\\u003c, \\u003e, \\u0026, and is put into the document with textContent or
as SVG attribute values by the script -- never as markup.  The script is
inline and fetches nothing; without it the section says so (noscript).
Frames that are not well formed are dropped one by one (a malformed frame
costs itself, never the page); a list with no usable frame gives no section.
"""
from __future__ import annotations

import json
from html import escape

from .heapmap import human

# One section at most per trace; more frames than this are not drawn (the
# driver only emits frames for short traces, this bounds a forged document).
MAX_FRAMES = 2000
MAX_BLOCKS = 20000

KINDS = ("alloc", "free", "realloc")


def _int(x, default=None):
    if isinstance(x, bool):
        return default
    if isinstance(x, int):
        return x
    if isinstance(x, float) and x == x and abs(x) < 2 ** 62:
        return int(x)
    return default


def _block(b) -> tuple | None:
    """A block as a 5-tuple of ints, or None when it is malformed."""
    if not isinstance(b, (list, tuple)) or len(b) < 4:
        return None
    vals = [_int(v) for v in list(b[:5]) + [0] * (5 - len(b[:5]))]
    if any(v is None for v in vals) or vals[0] < 0 or vals[1] < 0:
        return None
    return tuple(vals)


def clean(frames) -> list[dict]:
    """The usable frames, each with ints where the schema has numbers."""
    out = []
    if not isinstance(frames, list):
        return out
    for f in frames[:MAX_FRAMES]:
        if not isinstance(f, dict) or f.get("kind") not in KINDS:
            continue
        op, heap = _int(f.get("op")), _int(f.get("heap_size"))
        if op is None or heap is None or heap < 0:
            continue
        raw = f.get("blocks") if isinstance(f.get("blocks"), list) else []
        blocks = sorted({b for b in (_block(x) for x in raw[:MAX_BLOCKS]) if b is not None})
        out.append({"op": op, "line": _int(f.get("line")), "kind": f["kind"],
                    "id": _int(f.get("id")), "size": _int(f.get("size"), 0),
                    "offset": _int(f.get("offset")), "heap_size": heap,
                    "live_payload": _int(f.get("live_payload"), 0),
                    "walk": bool(f.get("walk")), "blocks": blocks})
    return out


def _covering(blocks, offset: int | None):
    """The block whose [start, end) holds offset (the op's payload), or None."""
    if offset is None:
        return None
    for b in blocks:
        if b[0] <= offset < b[0] + max(b[1], 1):
            return b
    return None


def describe(prev: dict | None, cur: dict, added: list, removed: list) -> list[str]:
    """What the op did to the heap, in short phrases (tested one by one)."""
    said = []
    where = "" if cur["offset"] is None else f" at heap+{cur['offset']:#x}"
    what = {"alloc": f"my_alloc({cur['size']})", "free": f"my_free(id {cur['id']})",
            "realloc": f"my_realloc(id {cur['id']}, {cur['size']})"}[cur["kind"]]
    said.append(f"{what}{where}" if cur["kind"] != "free" else f"{what}: {human(cur['size'])}{where} freed")
    grew = cur["heap_size"] - (prev["heap_size"] if prev else 0)
    if grew > 0:
        said.append(f"heap grew by {human(grew)} (mem_sbrk)")
    if not cur["walk"]:
        return said
    blk = _covering(cur["blocks"], cur["offset"])
    if blk is not None and blk[4]:
        said.append(f"slab slot of class {blk[4]} B")
    new_free = [b for b in added if b[2] < 0]
    old = {b[0]: b for b in (prev["blocks"] if prev else [])}
    if cur["kind"] in ("alloc", "realloc") and blk is not None and blk in added:
        before = _covering(list(old.values()), blk[0])
        rest = [b for b in new_free if b[0] == blk[0] + blk[1]]   # the remainder right after it
        if rest:
            src = f" a free block of {human(before[1])}" if before is not None and before[2] < 0 else ""
            said.append(f"split{src}: {human(blk[1])} used, {human(rest[0][1])} left free")
    if cur["kind"] in ("free", "realloc"):
        for b in new_free:
            # a free block now spans more than one block of the previous frame
            merged = [o for o in old.values() if b[0] <= o[0] < b[0] + b[1]]
            if len(merged) > 1:
                said.append(f"coalesced {len(merged)} blocks into one free block of {human(b[1])} "
                            f"at heap+{b[0]:#x}")
    if removed and not added and cur["kind"] == "free" and blk is None:
        said.append("the freed block is no longer reported by my_heap_walk")
    return said


def overlaps(frames: list[dict]) -> dict[int, str]:
    """Frame index -> the live payload the op's new payload overlaps."""
    live: dict = {}
    out = {}
    for i, f in enumerate(frames):
        ident, off, size = f["id"], f["offset"], f["size"]
        if f["kind"] == "free":
            live.pop(ident, None)
            continue
        live.pop(ident, None)
        if off is None or size <= 0:
            continue
        for other, (o, s) in live.items():
            if off < o + s and o < off + size:
                out[i] = (f"the new payload [heap+{off:#x}, +{size}) overlaps the live payload of id "
                          f"{other} [heap+{o:#x}, +{s})")
                break
        live[ident] = (off, size)
    return out


def model(frames: list[dict]) -> dict:
    """The compact document the page's script draws: frame 0 in full, then deltas."""
    prev = None
    peak = 0
    out = []
    clash = overlaps(frames)
    scale = max([f["heap_size"] for f in frames] + [1])
    for i, f in enumerate(frames):
        before = set(prev["blocks"]) if prev else set()
        now = set(f["blocks"])
        added = sorted(now - before)
        removed = sorted({b[0] for b in before - now} - {b[0] for b in added})
        peak = max(peak, f["live_payload"])
        util = peak / f["heap_size"] if f["heap_size"] else None
        text = describe(prev, f, added, removed)
        d = {"op": f["op"], "line": f["line"], "kind": f["kind"], "id": f["id"], "size": f["size"],
             "offset": f["offset"], "heap": f["heap_size"], "live": f["live_payload"],
             "peak": peak, "util": None if util is None else round(util, 4), "walk": f["walk"],
             "add": [list(b) for b in added], "del": removed, "said": text}
        if i in clash:
            d["overlap"] = clash[i]
        out.append(d)
        prev = f
    return {"scale": scale, "frames": out}


def _json_for_script(doc) -> str:
    """JSON that cannot end its <script> element nor start markup."""
    s = json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def source(t) -> tuple[list | None, str]:
    """The frames of a trace and where they come from, or (None, "")."""
    rep = t.reproducer if isinstance(getattr(t, "reproducer", None), dict) else {}
    if isinstance(rep.get("frames"), list) and rep["frames"]:
        return rep["frames"], "the minimal reproducer"
    frames = (t.extra or {}).get("frames")
    if isinstance(frames, list) and frames:
        return frames, "this trace"
    return None, ""


CSS = """
.steps{border:1px solid #d8dde3;border-radius:8px;padding:10px 14px;margin:12px 0;outline:none}
.steps:focus{box-shadow:0 0 0 3px #9cc3ee}
.steps .bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.steps button{font:inherit;padding:2px 10px}
.steps input[type=range]{flex:1;min-width:160px}
.steps .op{font-weight:600}.steps .said li{margin:1px 0}
.steps .overlap{color:#b02a2a;font-weight:600}
.steps .nums{display:flex;gap:22px;flex-wrap:wrap;font-size:13px;margin:4px 0}
.steps table{font-size:12.5px}.steps .blocks{max-height:240px;overflow:auto}
.steps tr.hl td{background:#fff2b3}.steps .hl-rect{fill:none;stroke:#1f2933;stroke-width:2}
"""

# The player.  Reads the JSON of its own section, keeps a map offset->block
# rebuilt from the deltas (cached per frame), and draws with DOM calls only:
# no innerHTML, every string goes through textContent or setAttribute.
SCRIPT = r"""
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var COL = {payload:'#2e9d5b', overhead:'#e8912d', padding:'#f2cb45', free:'#d64545', unknown:'#8e7cc3'};
  function hx(n) { return 'heap+0x' + n.toString(16); }
  function hb(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(2) + ' MiB';
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svgel(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function Player(root) {
    var doc = JSON.parse(root.querySelector('script.frames').textContent);
    var frames = doc.frames, cache = [], cur = 0;
    var W = 960, ROWS = 4, RH = 26, GAP = 6;
    var range = root.querySelector('input[type=range]');
    var label = root.querySelector('.pos'), opline = root.querySelector('.op');
    var said = root.querySelector('.said'), nums = root.querySelector('.nums');
    var map = root.querySelector('.map'), tbody = root.querySelector('tbody');
    var freeList = root.querySelector('.freelist');
    range.max = frames.length - 1;
    function blocksAt(i) {
      if (cache[i]) return cache[i];
      var m = {};
      if (i > 0) blocksAt(i - 1).forEach(function (b) { m[b[0]] = b; });
      frames[i].del.forEach(function (o) { delete m[o]; });
      frames[i].add.forEach(function (b) { m[b[0]] = b; });
      var list = Object.keys(m).map(function (k) { return m[k]; });
      list.sort(function (a, b) { return a[0] - b[0]; });
      cache[i] = list;
      return list;
    }
    function segs(b, walk) {   // [start, end, category] inside one block, as heapmap.py counts them
      var off = b[0], end = b[0] + b[1], p = b[2], req = b[3];
      if (!walk) return [[off, off + req, 'payload']];
      if (p < 0) return [[off, end, 'free']];
      if (req <= 0) return [[off, end, 'overhead']];
      p = Math.min(Math.max(p, off), end);
      var pe = Math.min(p + req, end);
      return [[off, p, 'overhead'], [p, pe, 'payload'], [pe, end, 'padding']];
    }
    function place(a, z, g, fill, cls, title) {  // bytes [a, z) wrapped over ROWS rows
      var per = doc.scale / ROWS;
      while (a < z) {
        var row = Math.min(ROWS - 1, Math.floor(a / per)), rowEnd = (row + 1) * per;
        var e = Math.min(z, rowEnd);
        var x = (a - row * per) / per * W, w = Math.max((e - a) / per * W, cls ? 3 : 0.6);
        var r = svgel('rect', {x: x.toFixed(2), y: row * (RH + GAP), width: w.toFixed(2), height: RH});
        if (fill) r.setAttribute('fill', fill);
        if (cls) r.setAttribute('class', cls);
        if (title) { var t = svgel('title', {}); t.textContent = title; r.appendChild(t); }
        g.appendChild(r);
        if (e <= a) break;
        a = e;
      }
    }
    function draw(i) {
      cur = Math.max(0, Math.min(frames.length - 1, i));
      var f = frames[cur], blocks = blocksAt(cur);
      var fresh = {};
      f.add.forEach(function (b) { fresh[b[0]] = true; });
      range.value = cur;
      label.textContent = 'frame ' + (cur + 1) + ' / ' + frames.length;
      opline.textContent = 'op ' + f.op + (f.line !== null ? ' (trace line ' + f.line + ')' : '') + ': ' +
        f.kind + ' id ' + f.id + ', ' + f.size + ' bytes';
      while (said.firstChild) said.removeChild(said.firstChild);
      f.said.forEach(function (s) { said.appendChild(el('li', s)); });
      if (f.overlap) said.appendChild(el('li', 'OVERLAP: ' + f.overlap, 'overlap'));
      if (f.fail) said.appendChild(el('li', 'the driver stopped here: ' + f.fail, 'overlap'));
      while (nums.firstChild) nums.removeChild(nums.firstChild);
      nums.appendChild(el('span', 'heap ' + hb(f.heap)));
      nums.appendChild(el('span', 'live payload ' + hb(f.live)));
      nums.appendChild(el('span', 'peak so far ' + hb(f.peak)));
      nums.appendChild(el('span', 'utilization so far ' + (f.util === null ? '-' : (100 * f.util).toFixed(1) + '%')));
      while (map.firstChild) map.removeChild(map.firstChild);
      var g = svgel('g', {});
      var hpx = ROWS * (RH + GAP);
      map.setAttribute('viewBox', '0 0 ' + W + ' ' + hpx);
      place(0, doc.scale, g, '#e9ecf1', null, 'not yet grown');
      place(0, f.heap, g, f.walk ? '#b9c0ca' : COL.unknown, null, f.walk ? 'not reported as a block' : 'not a live payload');
      var hl = [];
      blocks.forEach(function (b) {
        var title = hx(b[0]) + ', ' + hb(b[1]) + (b[2] < 0 ? ': free' : ': payload ' + hb(b[3])) +
          (b[4] ? ' (slab slot, class ' + b[4] + ' B)' : '');
        segs(b, f.walk).forEach(function (s) { if (s[1] > s[0]) place(s[0], s[1], g, COL[s[2]], null, title); });
        if (fresh[b[0]]) hl.push(b);
      });
      if (f.offset !== null && f.kind !== 'free') hl.push([f.offset, Math.max(f.size, 1)]);
      hl.forEach(function (b) { place(b[0], b[0] + Math.max(b[1], 1), g, null, 'hl-rect', 'changed by this op'); });
      map.appendChild(g);
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      while (freeList.firstChild) freeList.removeChild(freeList.firstChild);
      var nfree = 0, freeBytes = 0;
      blocks.forEach(function (b) {
        var tr = el('tr', null, fresh[b[0]] ? 'hl' : '');
        [hx(b[0]), b[1], b[2] < 0 ? 'free' : (f.walk ? hx(b[2]) : 'live'), b[2] < 0 ? '' : b[3], b[4] || '']
          .forEach(function (v) { tr.appendChild(el('td', v)); });
        tbody.appendChild(tr);
        if (b[2] < 0) {
          nfree++; freeBytes += b[1];
          if (nfree <= 40) freeList.appendChild(el('li', hx(b[0]) + ' ' + hb(b[1]) + (fresh[b[0]] ? ' (new)' : ''),
                                                  fresh[b[0]] ? 'hl' : ''));
        }
      });
      if (nfree > 40) freeList.appendChild(el('li', '... ' + (nfree - 40) + ' more'));
      if (!f.walk) freeList.appendChild(el('li', 'no my_heap_walk: free blocks are not known'));
      else if (!nfree) freeList.appendChild(el('li', 'none'));
      root.querySelector('.freesum').textContent = nfree + ' free blocks, ' + hb(freeBytes);
      root.setAttribute('data-frame', String(cur));
    }
    root.addEventListener('keydown', function (e) {
      var k = e.key, to = null;
      if (k === 'ArrowRight' || k === 'ArrowDown' || k === 'PageDown') to = cur + 1;
      else if (k === 'ArrowLeft' || k === 'ArrowUp' || k === 'PageUp') to = cur - 1;
      else if (k === 'Home') to = 0;
      else if (k === 'End') to = frames.length - 1;
      if (to === null) return;
      e.preventDefault();
      draw(to);
    });
    root.querySelector('.first').addEventListener('click', function () { draw(0); });
    root.querySelector('.prev').addEventListener('click', function () { draw(cur - 1); });
    root.querySelector('.next').addEventListener('click', function () { draw(cur + 1); });
    root.querySelector('.last').addEventListener('click', function () { draw(frames.length - 1); });
    range.addEventListener('input', function () { draw(parseInt(range.value, 10)); });
    var m = /^#(steps-[A-Za-z0-9_-]+)@(\d+)$/.exec(location.hash);
    var start = root.getAttribute('data-start') === 'last' ? frames.length - 1 : 0;
    if (m && m[1] === root.id) { start = parseInt(m[2], 10); root.scrollIntoView(); root.focus(); }
    draw(start);
  }
  document.querySelectorAll('section.steps').forEach(function (root) {
    try { Player(root); } catch (err) {
      var p = document.createElement('p');
      p.textContent = 'the step-through view could not start: ' + err;
      root.appendChild(p);
    }
  });
})();
"""


def section(t, anchor: str) -> str:
    """The step-through section for trace t ("" when it has no frames)."""
    raw, where = source(t)
    if raw is None:
        return ""
    frames = clean(raw)
    if not frames:
        return ""
    doc = model(frames)
    failed = not getattr(t, "correct", True)
    err = getattr(t, "error", None) or {}
    if failed and where == "this trace" and isinstance(err, dict):
        for f in doc["frames"]:     # the op the driver stopped at, with its diagnosis
            if f["op"] == _int(err.get("op")):
                f["fail"] = f"{err.get('kind', 'failed')}: {err.get('message', '')}"[:2000]
    sid = "steps-" + anchor
    intro = (f"One frame per operation of {escape(where)}, {len(frames)} operation"
             f"{'s' if len(frames) != 1 else ''}: the heap after the op, the block(s) it allocated, "
             "freed, split or coalesced outlined, the free blocks as <code>my_heap_walk</code> reports "
             "them, and utilization so far (peak live payload up to this op / heap size now).")
    if failed:
        intro += " The last frame is the operation that failed."
    return (f'<h3>Step through, op by op</h3><p class="small">{intro} Click the view, then '
            "<kbd>&larr;</kbd>/<kbd>&rarr;</kbd> one op, <kbd>Home</kbd>/<kbd>End</kbd> first/last; "
            f'or link a frame as <code>#{escape(sid)}@N</code>.</p>'
            f'<section class="steps" id="{escape(sid)}" tabindex="0" data-start="{"last" if failed else "first"}" '
            f'aria-label="step-through view of {escape(t.name)}">'
            f'<script type="application/json" class="frames">{_json_for_script(doc)}</script>'
            '<noscript><p>The step-through view needs JavaScript (inline, nothing fetched).</p></noscript>'
            '<div class="bar"><button type="button" class="first" title="first (Home)">&laquo; first</button>'
            '<button type="button" class="prev" title="previous (&larr;)">&lsaquo; prev</button>'
            '<input type="range" min="0" value="0" aria-label="frame">'
            '<button type="button" class="next" title="next (&rarr;)">next &rsaquo;</button>'
            '<button type="button" class="last" title="last (End)">last &raquo;</button>'
            '<span class="pos small muted"></span></div>'
            '<div class="op"></div><ul class="said small"></ul><div class="nums"></div>'
            '<svg class="map steps-map" xmlns="http://www.w3.org/2000/svg" width="960" height="124" '
            'viewBox="0 0 960 124" role="img" aria-label="heap after this operation"></svg>'
            '<div style="display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start">'
            '<div><b class="small">free blocks</b> <span class="freesum small muted"></span>'
            '<ul class="freelist small"></ul></div>'
            '<div class="blocks" style="flex:1"><table><thead><tr><th>block</th><th class="num">size</th>'
            '<th>payload</th><th class="num">requested</th><th class="num">slab class</th></tr></thead>'
            '<tbody></tbody></table></div></div></section>')


def script() -> str:
    """The player, once per page (only when the page has a step-through section)."""
    return f"<script>{SCRIPT}</script>"
