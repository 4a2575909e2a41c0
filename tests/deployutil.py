"""Helpers for the platform-package tests (tests/test_deploy_*.py).

clean_kit(dst): the kit as a fresh clone of this working tree would have it
-- tracked and not-ignored files only, in a new git repository -- so a
package is built from committed content, never from build/ or dist/ left
over here.  python_shim(dir): a directory whose `python3` is the platform's
interpreter (below), to put first on the PATH of a platform script, as the
platform image's python3 would be.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kitutil import run

ROOT = Path(__file__).resolve().parents[1]


def clean_kit(dst: Path) -> Path:
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT, check=True).stdout.split("\0")
    for f in files:
        src = ROOT / f
        if not f or not src.is_file() or f.startswith(("build/", "dist/")):
            continue
        d = dst / f
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, d)
    run(["git", "init", "-q"], cwd=dst, check=True)
    run(["git", "add", "-A"], cwd=dst, check=True)
    return dst


# The platforms' images ship old Pythons (PrairieLearn's C images 3.8, Ubuntu
# 22.04 3.10) and may lack tomli: the emulated platform's python3 is the
# oldest supported interpreter, bare (no tomli: the package's JSON copy of the
# config must do), when this machine has it (make test-py38 needs it anyway).
PLATFORM_PYTHON = os.environ.get("SLABLAB_PLATFORM_PYTHON", "/root/.pyenv/versions/3.8.18/bin/python3")


def platform_python() -> str:
    return PLATFORM_PYTHON if os.access(PLATFORM_PYTHON, os.X_OK) else sys.executable


def python_shim(d: Path, python: str | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    link = d / "python3"
    if not link.exists():
        os.symlink(python or platform_python(), link)
    return d


def env_with(shim: Path, **extra) -> dict:
    # As the platform would start it: not inside our make (MAKEFLAGS, MAKELEVEL), not in CI.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "PYTEST", "MAKE", "MFLAGS"))}
    env["PATH"] = f"{shim}:/usr/local/bin:/usr/bin:/bin"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def hidden_set(d: Path) -> Path:
    """A small hidden-trace set: one public synthetic trace under a hidden name."""
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "traces" / "synth-phase.rep", d / "hidden-mini.rep")
    return d


BROKEN_C = "int my_init(void) { return 0 }\n"     # a syntax error on line 1
