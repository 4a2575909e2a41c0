#!/usr/bin/env python3
"""screenshots.py -- docs/steps-frame-N.png: three frames of the step-through
view of a shrunk failing trace (shrunk-coalesce.json), from headless Chromium.

    tests/report_frames/screenshots.py [OUTDIR]     (default docs/)

The page is demo.py's; a small script appended to a copy shows only the
failing trace's section and moves the view to frame N with the same key
events a student would press (Home, then Right N-1 times).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import demo  # noqa: E402

FRAMES = (1, 2, 4)     # split on a fresh heap; free + coalesce; the failing op
GOTO = """<script>(function () {
  var s = document.querySelector('section.steps'), t = s.closest('section.trace');
  Array.prototype.forEach.call(document.body.children, function (c) {
    if (c !== t && c.tagName !== 'SCRIPT') c.style.display = 'none'; });
  function key(k) { s.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  key('Home');
  for (var i = 1; i < %d; i++) key('ArrowRight');
  window.scrollTo(0, 0);
})();</script>"""


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "docs"
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("screenshots.py: chromium is not installed (tools/install-deps.sh)", file=sys.stderr)
        return 1
    html = demo.build()
    with tempfile.TemporaryDirectory() as tmp:
        for n in FRAMES:
            page = Path(tmp) / f"frame{n}.html"
            page.write_text(html.replace("</body>", GOTO % n + "</body>", 1))
            shot = out / f"steps-frame-{n}.png"
            subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--hide-scrollbars", f"--user-data-dir={tmp}/profile", "--window-size=1100,900",
                            f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
            print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
