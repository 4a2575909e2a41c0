"""The grader's result model: one place that every reporter reads.

A grading run produces one `GradeResult`.  It holds everything a reporter may
want to show -- the build (compiler diagnostics), the static checks (symbol
rules), one `TraceResult` per trace (the driver's measurements plus the points
they earned), the speed mode, and the final score -- so that writers (terminal,
JSON, Gradescope, Autolab, GitHub, the HTML report) are pure functions of it
and never recompute anything.

Invariants:
  * `score` is in [0, max_score], rounded to 2 decimals; it is 0 whenever
    `build.ok` is False or a static rule with penalty "zero" was broken.
  * every TraceResult has max_points >= points >= 0; the sum of the
    traces' points, minus penalties, clamped at 0, is `score` (unless zeroed).
  * `to_dict()` is the documented `--json` document (see README, "grader").
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Version of the --json / result document layout.  Bump on breaking changes.
RESULT_FORMAT_VERSION = 1


@dataclass
class Diagnostic:
    """One compiler or linker message, located when the compiler said where."""
    severity: str            # "error" | "warning" | "note"
    message: str
    file: str | None = None  # path as the student knows it (the submission's path)
    line: int | None = None
    column: int | None = None


@dataclass
class BuildResult:
    ok: bool
    command: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    output: str = ""             # raw compiler/linker output (capped)
    driver: str | None = None    # the linked driver executable when ok
    object_file: str | None = None
    reason: str = ""             # one line: why the build failed
    isolation: str = ""          # the isolation layer the compiler ran under (grader/isolate.py)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


@dataclass
class Violation:
    """A broken static rule, e.g. rule="forbidden-call", symbol="malloc"."""
    rule: str
    symbol: str
    message: str
    penalty: float = 0.0     # points taken off (ignored when zero is True)
    zero: bool = False       # this violation sets the whole score to 0
    file: str | None = None  # where it happens, for annotations
    line: int | None = None


@dataclass
class StaticResult:
    ran: bool = False
    violations: list[Violation] = field(default_factory=list)
    defined: list[str] = field(default_factory=list)      # global symbols defined
    undefined: list[str] = field(default_factory=list)    # symbols referenced
    global_data_bytes: int = 0
    global_data_cap: int = 0
    global_data_symbols: list[tuple[str, int]] = field(default_factory=list)
    error: str = ""          # the checker itself could not run (tool missing...)


@dataclass
class TraceResult:
    """One trace: the driver's fields (names as in its --json) plus points."""
    name: str
    path: str = ""
    hidden: bool = False
    correct: bool = False
    error: dict | None = None          # {"kind", "op", "line", "message"}
    ops: int | None = None
    peak_payload: int | None = None
    heap_size: int | None = None
    util: float | None = None
    ceiling: float | None = None
    ops_per_sec: float | None = None
    ops_per_sec_min: float | None = None
    ops_per_sec_max: float | None = None
    libc_ops_per_sec: float | None = None
    libc_ops_per_sec_min: float | None = None
    libc_ops_per_sec_max: float | None = None
    ratio: float | None = None
    ratio_min: float | None = None
    ratio_max: float | None = None
    samples: int | None = None
    checked_ops_per_sec: float | None = None
    output: str = ""
    # --- instruction counts (--speed instructions) ---
    instructions: dict | None = None   # {"my_alloc": per_op, "libc": per_op, "ratio": x}
    # --- what the grader adds ---
    weight: float = 1.0
    util_counted: bool = True
    speed_counted: bool = True
    speed_ratio: float | None = None   # the ratio the speed credit used
    util_credit: float | None = None   # 0..1, None when not counted
    speed_credit: float | None = None
    util_points: float = 0.0
    speed_points: float = 0.0
    points: float = 0.0
    max_points: float = 0.0
    reason: str = ""                   # why points were lost, one line
    extra: dict = field(default_factory=dict)   # driver fields we do not model (heapdump...)
    reproducer: dict | None = None     # filled by a failure hook (minimal trace...)

    DRIVER_FIELDS = (
        "name", "path", "correct", "error", "ops", "peak_payload", "heap_size",
        "util", "ceiling", "ops_per_sec", "ops_per_sec_min", "ops_per_sec_max",
        "libc_ops_per_sec", "libc_ops_per_sec_min", "libc_ops_per_sec_max",
        "ratio", "ratio_min", "ratio_max", "samples", "checked_ops_per_sec",
        "output",
    )

    @classmethod
    def from_driver(cls, d: dict, hidden: bool = False) -> "TraceResult":
        known = {k: d.get(k) for k in cls.DRIVER_FIELDS if k in d}
        if known.get("output") is None:
            known["output"] = ""
        known["correct"] = bool(known.get("correct", False))
        extra = {k: v for k, v in d.items() if k not in cls.DRIVER_FIELDS}
        return cls(hidden=hidden, extra=extra, **known)

    @property
    def error_text(self) -> str:
        if not self.error:
            return ""
        kind = self.error.get("kind", "?")
        where = []
        if self.error.get("op") is not None:
            where.append(f"op {self.error['op']}")
        if self.error.get("line") is not None:
            where.append(f"line {self.error['line']}")
        loc = f" ({', '.join(where)})" if where else ""
        return f"{kind}{loc}: {self.error.get('message', '')}"


@dataclass
class SpeedInfo:
    mode: str = "wallclock"              # "wallclock" | "instructions" | "none"
    ratio_min: float = 0.0               # thresholds used for the credit
    ratio_max: float = 0.0
    tool: str = ""                       # "callgrind" in instructions mode
    spread: dict = field(default_factory=dict)   # wall-clock spread summary
    error: str = ""


@dataclass
class GradeResult:
    submission: str
    student: str = ""
    score: float = 0.0
    max_score: float = 100.0
    util_points: float = 0.0
    util_max: float = 0.0
    speed_points: float = 0.0
    speed_max: float = 0.0
    penalty: float = 0.0
    zeroed: bool = False
    verdict: str = ""                    # one line summary ("compile error", ...)
    build: BuildResult = field(default_factory=lambda: BuildResult(ok=False))
    static: StaticResult = field(default_factory=StaticResult)
    traces: list[TraceResult] = field(default_factory=list)
    speed: SpeedInfo = field(default_factory=SpeedInfo)
    notes: list[str] = field(default_factory=list)     # anything worth saying
    versions: dict = field(default_factory=dict)
    config_path: str = ""
    driver_json: dict | None = None      # the raw driver document (for plug-ins)
    elapsed_s: float = 0.0

    @property
    def failed_traces(self) -> list[TraceResult]:
        return [t for t in self.traces if not t.correct]

    def to_dict(self) -> dict[str, Any]:
        """The documented --json document."""
        d = {
            "format": RESULT_FORMAT_VERSION,
            "submission": self.submission,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "verdict": self.verdict,
            "zeroed": self.zeroed,
            "util_points": self.util_points,
            "util_max": self.util_max,
            "speed_points": self.speed_points,
            "speed_max": self.speed_max,
            "penalty": self.penalty,
            "build": _plain(self.build),
            "static": _plain(self.static),
            "speed": _plain(self.speed),
            "traces": [trace_dict(t) for t in self.traces],
            "notes": list(self.notes),
            "versions": dict(self.versions),
            "config": self.config_path,
            "elapsed_s": round(self.elapsed_s, 3),
        }
        return d


def trace_dict(t: TraceResult) -> dict[str, Any]:
    d = {k: getattr(t, k) for k in TraceResult.DRIVER_FIELDS}
    for k in ("hidden", "weight", "util_counted", "speed_counted", "speed_ratio",
              "util_credit", "speed_credit", "util_points", "speed_points",
              "points", "max_points", "reason", "instructions", "reproducer"):
        d[k] = getattr(t, k)
    return d


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj
