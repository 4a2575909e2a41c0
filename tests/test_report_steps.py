"""The HTML report's step-through view (grader/html_report/steps.py).

Fixtures: tests/report_frames/shrunk-coalesce.json (a shrunk failing trace
with per-op frames in the schema of the driver's future `--frames N`), and
frames regenerated here by tests/report_frames/make_frames.py from real
allocators (the solution on a 200-op trace; a planted coalescing bug).

  * the deltas rebuild every frame's block list exactly;
  * what the view says an op did (split, coalesced, heap grew, slab slot,
    overlap, the failing op) is right on real frames;
  * malformed frames cost only themselves; everything from the submission
    stays data (a hostile trace name, message and frames cannot leave the
    JSON element or become markup);
  * the page stays small (a 200-op trace of the solution);
  * in headless Chromium: the player starts without a console message, and
    the keyboard (Right, Left, End, Home) and the buttons move the frame.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.html_report import page, steps
from grader.model import GradeResult, TraceResult

ROOT = Path(__file__).resolve().parent.parent
FRAMES = ROOT / "tests" / "report_frames"
sys.path.insert(0, str(FRAMES))
import demo  # noqa: E402
import make_frames  # noqa: E402

from test_report_browser import run_browser  # noqa: E402


def rebuild(doc: dict) -> list[list[tuple]]:
    """What the page's script does: apply each frame's delta to the previous blocks."""
    out, cur = [], {}
    for f in doc["frames"]:
        for o in f["del"]:
            cur.pop(o, None)
        for b in f["add"]:
            cur[b[0]] = tuple(b)
        out.append(sorted(cur.values()))
    return out


@pytest.fixture(scope="module")
def shrunk() -> dict:
    d = json.loads((FRAMES / "shrunk-coalesce.json").read_text())
    d.pop("_comment")
    return d


@pytest.fixture(scope="module")
def solution_200(tmp_path_factory) -> list:
    """The solution on a 200-op random trace, one frame per op (slab slots and blocks)."""
    subprocess.run(["make", "-s", "kit"], cwd=ROOT, check=True)
    tmp = tmp_path_factory.mktemp("f200")
    trace = tmp / "r200.rep"
    subprocess.run([sys.executable, str(ROOT / "traces/gen.py"), "--pattern", "random", "--seed", "7",
                    "--ops", "200", "-o", str(trace)], check=True, capture_output=True)
    return make_frames.frames(ROOT / "solution/my_alloc.c", trace)


# ---- the model ------------------------------------------------------------------

def test_deltas_rebuild_every_frame(shrunk, solution_200):
    for raw in (shrunk["frames"], solution_200):
        frames = steps.clean(raw)
        assert len(frames) == len(raw)
        rebuilt = rebuild(steps.model(frames))
        for f, blocks in zip(frames, rebuilt):
            assert blocks == f["blocks"], f["op"]


def test_what_the_ops_did_on_a_coalescing_bug(shrunk):
    doc = steps.model(steps.clean(shrunk["frames"]))
    said = [" | ".join(f["said"]) for f in doc["frames"]]
    assert "heap grew by 4.0 KiB" in said[0]
    assert "split: 1.0 KiB used, 3.0 KiB left free" in said[0]      # the new heap, split at once
    assert "split a free block of 4.0 KiB: 1.3 KiB used, 2.7 KiB left free" in said[2]
    assert "coalesced 2 blocks into one free block of 4.0 KiB at heap+0x18" in said[1]
    assert "my_free(id 197)" in said[1] and "heap grew" not in said[1]
    assert said[3].startswith("my_alloc(1280) at heap+0x530")
    assert "split a free block of 2.7 KiB: 1.3 KiB used, 1.5 KiB left free" in said[3]
    # the op's own block is outlined: it is among the frame's new blocks
    assert [1320, 1296, 1328, 1280, 0] in doc["frames"][3]["add"]
    # utilization so far: peak live payload so far / heap now
    assert [f["util"] for f in doc["frames"]] == [round(1024 / 4128, 4), round(1024 / 4128, 4),
                                                   round(1280 / 4128, 4), round(2560 / 4128, 4)]


def test_slab_slots_and_growth_on_the_solution(solution_200):
    doc = steps.model(steps.clean(solution_200))
    said = [" | ".join(f["said"]) for f in doc["frames"]]
    assert any("slab slot of class" in s for s in said)
    assert any("heap grew by" in s for s in said[1:])
    assert doc["scale"] == max(f["heap_size"] for f in solution_200)
    last = doc["frames"][-1]
    peak = max(f["live_payload"] for f in solution_200)
    assert last["util"] == round(peak / solution_200[-1]["heap_size"], 4)


def test_overlap_is_found_from_the_ops_not_the_walk():
    frames = [{"op": 0, "line": 1, "kind": "alloc", "id": 1, "size": 100, "offset": 16, "heap_size": 4096,
               "live_payload": 100, "walk": False, "blocks": [[16, 100, 16, 100, 0]]},
              {"op": 1, "line": 2, "kind": "alloc", "id": 2, "size": 50, "offset": 96, "heap_size": 4096,
               "live_payload": 150, "walk": False, "blocks": [[16, 100, 16, 100, 0]]},
              {"op": 2, "line": 3, "kind": "free", "id": 1, "size": 100, "offset": 16, "heap_size": 4096,
               "live_payload": 50, "walk": False, "blocks": []},
              {"op": 3, "line": 4, "kind": "alloc", "id": 3, "size": 10, "offset": 16, "heap_size": 4096,
               "live_payload": 60, "walk": False, "blocks": []}]
    doc = steps.model(steps.clean(frames))
    assert "overlap" not in doc["frames"][0]
    assert doc["frames"][1]["overlap"] == ("the new payload [heap+0x60, +50) overlaps the live payload "
                                           "of id 1 [heap+0x10, +100)")
    assert "overlap" not in doc["frames"][3]      # id 1 was freed: reuse is fine


def test_malformed_frames_cost_only_themselves(shrunk):
    good = shrunk["frames"]
    junk = [None, 7, "x", {"kind": "alloc"}, {"op": "1", "kind": "alloc", "heap_size": 1},
            {"op": 1, "kind": "steal", "heap_size": 1}, {"op": 2, "kind": "free", "heap_size": -5},
            dict(good[0], blocks=[[1, 2], "no", [float("nan"), 1, 1, 1, 0], [-1, 5, 0, 0, 0], [True, 1, 1, 1]])]
    frames = steps.clean(junk + good)
    assert len(frames) == len(good) + 1
    assert frames[0]["blocks"] == []             # every block of the last junk frame was malformed
    assert steps.clean({"frames": 1}) == [] and steps.clean(None) == []
    t = TraceResult(name="x.rep", correct=True, extra={"frames": junk[:7]})
    assert steps.section(t, "t-x") == ""         # nothing usable: no section at all


# ---- on the page --------------------------------------------------------------

def test_a_page_without_frames_has_no_script():
    t = TraceResult(name="ok.rep", correct=True, util=0.5, points=5, max_points=5)
    html = page.render(GradeResult(submission="x.c", traces=[t], score=5, max_score=10))
    assert "<script" not in html and 'class="steps"' not in html


def test_failing_trace_starts_at_its_failing_frame(shrunk):
    html = demo.build()
    assert html.count('<section class="steps"') == 1 and html.count("<script>") == 1
    assert 'id="steps-t-synth-coalesce-rep" tabindex="0" data-start="last"' in html
    doc = json.loads(re.search(r'<script type="application/json" class="frames">(.*?)</script>',
                               html, re.S).group(1))
    assert doc["frames"][3]["fail"].startswith("corrupted: the payload of id 198")
    assert all("fail" not in f for f in doc["frames"][:3])


def test_everything_from_the_submission_stays_data(shrunk):
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    d = dict(shrunk, name=f"{evil}.rep", error=dict(shrunk["error"], message=evil, kind=evil))
    d["frames"] = [dict(f, kind=f["kind"], line=f["line"]) for f in shrunk["frames"]]
    d["frames"][0]["blocks"] = d["frames"][0]["blocks"] + [[evil, 1, 2, 3, 4]]   # dropped: not a number
    t = TraceResult.from_driver(d)
    t.output = evil
    html = page.render(GradeResult(submission=evil, student=evil, traces=[t]))
    assert "alert" in html                       # it is shown ...
    assert "<script>alert" not in html and "<img src=x" not in html   # ... never as markup
    m = re.search(r'<script type="application/json" class="frames">(.*?)</script>', html, re.S)
    doc = json.loads(m.group(1))                 # the JSON element ends where it should
    assert "alert" in doc["frames"][-1]["fail"]
    assert "<" not in m.group(1) and ">" not in m.group(1) and "&" not in m.group(1)
    # the anchor of a hostile name is reduced to a safe id
    assert re.search(r'<section class="steps" id="steps-t-[A-Za-z0-9_-]+"', html)


def test_page_size_for_a_200_op_trace(solution_200):
    one = len(demo.build().encode())
    both = len(page.render(GradeResult(submission="s.c", traces=[
        demo.failing_trace(), demo.correct_trace(solution_200)])).encode())
    raw = len(json.dumps(solution_200, separators=(",", ":")))
    view = both - one
    print(f"step view of {len(solution_200)} ops: {view} bytes (frames as JSON: {raw} bytes)")
    assert max(len(f["blocks"]) for f in solution_200) > 50     # a real heap, block by block
    assert view < 120_000, view                  # the deltas: ~0.3 KB per op
    assert view < raw / 5                         # the deltas: a small part of the frames


# ---- in a browser -------------------------------------------------------------

PROBE = """<script>(function () {
  var out = [], s = document.querySelectorAll('section.steps');
  function key(root, k) { root.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  function state(root) { return [root.getAttribute('data-frame'), root.querySelector('.op').textContent,
                                 root.querySelectorAll('.map rect').length,
                                 root.querySelectorAll('.map rect.hl-rect').length,
                                 root.querySelector('.said').textContent,
                                 root.querySelector('.freelist').textContent]; }
  s.forEach(function (root) {
    var r = [state(root)];
    key(root, 'Home'); r.push(state(root));
    key(root, 'ArrowRight'); r.push(state(root));
    key(root, 'ArrowRight'); r.push(state(root));
    key(root, 'ArrowLeft'); r.push(state(root));
    key(root, 'End'); r.push(state(root));
    key(root, 'ArrowRight'); r.push(state(root));
    root.querySelector('button.first').click(); r.push(state(root));
    root.querySelector('button.next').click(); r.push(state(root));
    out.push({id: root.id, start: r[0], steps: r.slice(1),
              box: root.querySelector('.map').getBoundingClientRect().width});
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({views: out, errors: window.__errors});
  document.body.appendChild(pre);
})();</script>"""

CATCH = """<script>window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); }, true);</script>"""


def test_keyboard_and_buttons_in_chromium(solution_200, tmp_path):
    html = page.render(GradeResult(submission="s.c", traces=[demo.failing_trace(),
                                                                demo.correct_trace(solution_200)]))
    plain = tmp_path / "page.html"
    plain.write_text(html)
    p = run_browser(["--enable-logging=stderr", "--v=0", "--dump-dom", plain.as_uri()])
    assert p.returncode == 0, p.stderr[-2000:]
    assert [line for line in p.stderr.splitlines() if "CONSOLE" in line] == []
    assert 'data-frame="3"' in p.stdout           # the failing trace opened at its failing op

    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("<head>", "<head>" + CATCH, 1).replace("</body>", PROBE + "</body>", 1))
    p = run_browser(["--dump-dom", probe.as_uri()])
    m = re.search(r'<pre id="probe">(.*?)</pre>', p.stdout, re.S)
    assert m, p.stdout[-2000:]
    data = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))
    assert data["errors"] == []
    bad, good = data["views"]
    assert bad["id"] == "steps-t-synth-coalesce-rep"
    assert bad["start"][0] == "3" and "the driver stopped here: corrupted" in bad["start"][4]
    frames = [s[0] for s in bad["steps"]]
    assert frames == ["0", "1", "2", "1", "3", "3", "0", "1"]     # Home, Right, Right, Left, End, Right(stays), buttons
    assert bad["steps"][1][1] == "op 1 (trace line 4): free id 197, 1024 bytes"
    assert "coalesced 2 blocks" in bad["steps"][1][4]
    assert "heap+0x18 4.0 KiB (new)" in bad["steps"][1][5]       # the free list shows the merged block
    assert all(s[3] >= 1 for s in bad["steps"])                  # every op outlines its block(s)
    assert good["start"][0] == "0" and good["steps"][-1][0] == "1"
    assert good["steps"][4][0] == str(len(solution_200) - 1)
    assert good["steps"][4][2] > 50                               # the heap is drawn block by block
    assert good["box"] > 600
