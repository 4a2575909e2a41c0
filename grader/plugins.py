"""Plug-ins: other parts of the kit extend the grader without editing it.

A plug-in is a module of this package whose name matches one of PATTERNS
(report*, html*, shrink*, plugin_*) and which sets `GRADER_PLUGIN = True`.
It may define any of:

    add_arguments(parser)            add its own command-line options
    wants_heapdump(args) -> bool     ask the driver for --heapdump data
    make_writers(args, cfg) -> list  writers: objects with write(result: GradeResult)
    failure_hook(result, trace, ctx) called once per failed trace after the
                                     driver run (ctx: HookContext); it may set
                                     trace.reproducer = {"path": ..., ...}

Writers run after the built-in ones (the Autolab line stays last).  A plug-in
that raises is reported as a note and never changes the score.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

PATTERNS = ("report*", "html*", "shrink*", "plugin_*")


@dataclass
class HookContext:
    driver: str          # the linked driver executable for this submission
    workdir: Path        # this submission's work directory (build/grade/<name>/)
    config: object       # the Config
    timeout_s: float


_loaded: list | None = None


def load() -> list:
    global _loaded
    if _loaded is None:
        _loaded = []
        pkg = importlib.import_module("grader")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if not any(fnmatch(info.name, p) for p in PATTERNS):
                continue
            try:
                mod = importlib.import_module(f"grader.{info.name}")
            except Exception as e:     # a broken plug-in must not stop grading
                _loaded.append(_Broken(info.name, e))
                continue
            if getattr(mod, "GRADER_PLUGIN", False):
                _loaded.append(mod)
    return [m for m in _loaded if not isinstance(m, _Broken)]


def problems() -> list[str]:
    load()
    return [f"plug-in grader.{b.name} failed to load: {b.error}" for b in _loaded if isinstance(b, _Broken)]


class _Broken:
    def __init__(self, name, error):
        self.name, self.error = name, error
