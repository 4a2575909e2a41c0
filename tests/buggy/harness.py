"""Building and running corpus allocators for the tests (test_buggy*, test_sandbox*).

An allocator is built exactly as the grader builds a submission (grader/build.py):
compiled with the kit's flags and `-include my_alloc.h`, then linked into its
allocator host (grader/link.py), with a `driver` script that runs the checker
on it.  Builds go to a temporary directory, several at a time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "buggy"
TRACES = CORPUS / "traces"
sys.path.insert(0, str(REPO))
from grader import link  # noqa: E402
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-O2", "-g"]


def ensure_libdriver() -> Path:
    subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "kit"],
                   check=True, capture_output=True, timeout=300)
    return link.HOST_LIB


def build(source: Path, workdir: Path) -> Path:
    """Compile and link source into workdir/driver; raise with the compiler's words."""
    workdir.mkdir(parents=True, exist_ok=True)
    obj, exe = workdir / "my_alloc.o", workdir / "driver"
    cc = os.environ.get("CC", "cc")
    cmd = [cc, *CFLAGS, f"-I{REPO / 'include'}", "-include", "my_alloc.h", "-c", str(source),
           "-o", str(obj)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr}")
    link.link_allocator(str(obj), str(workdir / "allocator"), cc=cc)
    link.write_driver_script(exe, workdir / "allocator")
    return exe


def build_all(names: list[str], root: Path) -> dict[str, Path]:
    ensure_libdriver()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {n: pool.submit(build, CORPUS / n / "my_alloc.c", root / n) for n in names}
        return {n: f.result() for n, f in futures.items()}


def trace_path(name: str) -> Path:
    """short-* traces live in traces/, the corpus's own in tests/buggy/traces/."""
    if "/" in name:
        return Path(name)
    if name.startswith(("short-", "synth-")):
        return REPO / "traces" / f"{name}.rep"
    return TRACES / f"{name}.rep"


def run(driver: Path, traces: list[str], *flags: str, timeout_s: float = 2,
        guard_s: float = 60, timing: bool = False) -> tuple[dict, subprocess.CompletedProcess]:
    """Run the driver with --json (and --no-timing unless timing); return
    (document, process)."""
    cmd = [str(driver), "--json", "-T", f"{timeout_s:g}", *flags]
    if not timing:
        cmd.append("--no-timing")
    for t in traces:
        cmd += ["-f", str(trace_path(t))]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=guard_s, cwd=REPO,
                       stdin=subprocess.DEVNULL)
    assert p.returncode in (0, 1), f"driver exited with {p.returncode}: {p.stderr}"
    return json.loads(p.stdout), p
