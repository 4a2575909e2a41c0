"""The HTML report in a real browser: headless Chromium (Debian's `chromium`).

Three runs of the browser on the report of the reference solution:
  1. the page as written, with Chromium's log on stderr: a page without
     scripts that renders cleanly logs no console message at all;
  2. a test copy with a small measuring script appended (the report itself
     has none), dumped with --dump-dom: every SVG has a non-zero size, its
     rectangles are laid out, no resource failed to load;
  3. a screenshot, checked to be a PNG of the requested size.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
WIDTH, HEIGHT = 1280, 2000

CATCH_ERRORS = """<script>window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || 'error'));
}, true);</script>"""

MEASURE = """<script>(function () {
  var svgs = [], rects = 0;
  document.querySelectorAll('svg').forEach(function (s) {
    var r = s.getBoundingClientRect();
    svgs.push([s.getAttribute('class') || '', r.width, r.height]);
  });
  document.querySelectorAll('svg rect').forEach(function (e) {
    var b = e.getBoundingClientRect();
    if (b.width > 0 && b.height > 0) rects++;
  });
  var out = document.createElement('pre');
  out.id = 'measure';
  out.textContent = JSON.stringify({svgs: svgs, rects: rects, errors: window.__errors});
  document.body.appendChild(out);
})();</script>"""


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("chromium is not installed: run tools/install-deps.sh (Debian package chromium)")
    return exe


def run_browser(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}",
                               f"--window-size={WIDTH},{HEIGHT}", *args],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    cmd = [sys.executable, "-m", "grader", str(ROOT / "solution" / "my_alloc.c"), "-q", "--no-timing",
           "--workdir", str(out / "work"), "--html", str(out / "html"),
           "-f", str(ROOT / "traces" / "synth-random.rep"), "-f", str(ROOT / "traces" / "synth-tiny.rep")]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return out / "html" / "index.html"


def test_page_logs_no_console_message(report):
    p = run_browser(["--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri()])
    assert p.returncode == 0, p.stderr[-2000:]
    assert "slablab report" in p.stdout                     # the page did load
    console = [line for line in p.stderr.splitlines() if "CONSOLE" in line]
    assert console == []


def test_svgs_render_with_nonzero_size(report, tmp_path):
    html = report.read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("<head>", "<head>" + CATCH_ERRORS, 1)
                     .replace("</body>", MEASURE + "</body>", 1))
    p = run_browser(["--dump-dom", probe.as_uri()])
    assert p.returncode == 0, p.stderr[-2000:]
    m = re.search(r'<pre id="measure">(.*?)</pre>', p.stdout, re.S)
    assert m, "the measuring script did not run"
    data = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert data["errors"] == []
    n_svg = html.count("<svg ")
    assert len(data["svgs"]) == n_svg > 0
    for cls, w, h in data["svgs"]:
        assert w > 0 and h > 0, (cls, w, h)
    kinds = {cls for cls, _, _ in data["svgs"]}
    assert {"chart", "heapmap", "bar", "mini"} <= kinds
    heapmaps = [w for cls, w, _ in data["svgs"] if cls == "heapmap"]
    assert min(heapmaps) > WIDTH / 2                         # the maps span the page
    assert data["rects"] >= html.count("<rect ") * 0.9        # nearly every rectangle is drawn


def test_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    p = run_browser([f"--screenshot={shot}", report.as_uri()])
    assert p.returncode == 0, p.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])       # the IHDR chunk
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(data) > 50_000                                # a blank page compresses to a few KB
