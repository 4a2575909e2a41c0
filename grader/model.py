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
  * every number in a TraceResult made by `from_driver` passed
    `validate_driver_trace`: finite, of the right type, in range
    (0 < util <= ceiling <= 1, positive rates, integer counts, ops equal to
    the trace's request count when the grader knows it).  A driver entry
    that fails is kept as a failed trace of kind "tamper" with every number
    cleared, never scored; its text fields are capped valid text.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import safetext

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
    driver: str | None = None    # the checker script for this submission when ok (grader/link.py)
    allocator: str | None = None # the linked allocator host
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
    # replay_digest() of the sealed checked replay (16 hex digits): what an
    # unwatched run must reproduce for its instruction count to be taken
    replay_digest: str | None = None
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
    # what a student may see of this trace: "full", or for a hidden trace in
    # a student view (outputs.student_view) "points" / "pass_fail"
    shown: str = "full"

    DRIVER_FIELDS = (
        "name", "path", "correct", "error", "ops", "peak_payload", "heap_size",
        "util", "ceiling", "ops_per_sec", "ops_per_sec_min", "ops_per_sec_max",
        "libc_ops_per_sec", "libc_ops_per_sec_min", "libc_ops_per_sec_max",
        "ratio", "ratio_min", "ratio_max", "samples", "checked_ops_per_sec",
        "replay_digest", "output",
    )

    @classmethod
    def from_driver(cls, d: dict, hidden: bool = False, expected_ops: int | None = None,
                    expected_name: str | None = None) -> "TraceResult":
        """One entry of the driver's --json "traces" list, validated: an entry
        that is not a well-formed, plausible measurement becomes a failed
        trace of kind "tamper" (see validate_driver_trace)."""
        if not isinstance(d, dict):
            return cls(name="?", hidden=hidden, correct=False,
                       error=tamper_error(f"trace entry is a {type(d).__name__}, not an object"))
        problem = validate_driver_trace(d, expected_ops)
        if not problem and expected_name is not None and d.get("name") != expected_name:
            problem = f"it names trace {_show(d.get('name'))}, not {expected_name}"
        name = d.get("name") if isinstance(d.get("name"), str) else ""
        path = d.get("path") if isinstance(d.get("path"), str) else ""
        output = d.get("output") if isinstance(d.get("output"), str) else ""
        extra = {k: v for k, v in d.items() if k not in cls.DRIVER_FIELDS and isinstance(k, str)}
        if problem:
            return cls(name=safetext.name(name), path=path, hidden=hidden, correct=False,
                       error=tamper_error(problem), output=_keep_output(output))
        known = {k: d.get(k) for k in cls.DRIVER_FIELDS if k in d}
        known["name"], known["path"], known["output"] = name, path, _keep_output(output)
        if known.get("error") is not None:
            e = known["error"]
            known["error"] = {"kind": safetext.line(e.get("kind"), 40), "op": e.get("op"),
                              "line": e.get("line"), "message": safetext.line(e.get("message"))}
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


# ------------------------------------------------- validating the driver's numbers --

# Bounds no real measurement reaches; anything beyond is a forged document.
MAX_OPS = 1 << 31                 # the trace reader's limit is far below
MAX_BYTES = 1 << 48               # heap and payload sizes
MAX_RATE = 1e10                   # operations per second
# Speed relative to libc.  Not tight on purpose: on a 10-op trace one
# sample can set a 30 ns run of the allocator against a libc run that a
# preemption or page fault made milliseconds long (ratios of 1.5e4 were
# seen from the reference), and the credit stops at the config's
# ratio_max anyway; the bound only keeps absurd numbers out of the outputs.
MAX_RATIO = 1e7
MAX_SAMPLES = 1000
UTIL_SLACK = 1e-9                 # rounding of the driver's %.17g doubles

_INT_FIELDS = ("ops", "peak_payload", "heap_size", "samples")
_RATE_FIELDS = ("ops_per_sec", "ops_per_sec_min", "ops_per_sec_max",
                "libc_ops_per_sec", "libc_ops_per_sec_min", "libc_ops_per_sec_max",
                "checked_ops_per_sec")
_RATIO_FIELDS = ("ratio", "ratio_min", "ratio_max")
_DIGEST = re.compile(r"[0-9a-f]{16}")


class NonFinite(str):
    """What parse_driver_json puts where the text had a bare NaN/Infinity
    (not JSON): a string, so it can never be taken for a number, and
    validation names it."""


def parse_driver_json(text: str) -> Any:
    """The driver's --json document, strictly: a bare NaN, Infinity or
    -Infinity (Python's json accepts them, JSON does not) becomes a NonFinite
    marker, which validation rejects as tamper; other syntax errors raise
    json.JSONDecodeError (a ValueError)."""
    return json.loads(text, parse_constant=NonFinite)


def tamper_error(problem: str) -> dict:
    return {"kind": "tamper", "op": None, "line": None,
            "message": safetext.line(f"the driver's report for this trace is not a valid "
                                     f"measurement ({problem}); not scored")}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def _show(v) -> str:
    if isinstance(v, NonFinite):
        return str(v)
    return safetext.line(repr(v), 40)


def validate_driver_trace(d: dict, expected_ops: int | None = None) -> str:
    """"" when the entry is a plausible measurement, else the first problem.

    Types: name/path/output strings, correct a bool, counts integers, every
    number finite.  Ranges: counts >= 0 (ops <= MAX_OPS, bytes <= MAX_BYTES);
    rates and ratios > 0 and below MAX_RATE / MAX_RATIO, min <= value <= max;
    ceiling in (0, 1]; for a correct trace 0 < util <= ceiling, util equal to
    peak_payload / heap_size, peak_payload <= heap_size, and ops equal to the
    trace's requests when expected_ops is known.  An incorrect trace may have
    nulls but no impossible numbers either (they would reach the outputs)."""
    for k in ("name", "path"):
        if k in d and not isinstance(d[k], str):
            return f"{k} is not a string"
    if "output" in d and d["output"] is not None and not isinstance(d["output"], str):
        return "output is not a string"
    digest = d.get("replay_digest")
    if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
        return f"replay_digest = {_show(digest)} is not 16 hex digits"
    correct = d.get("correct")
    if not isinstance(correct, bool):
        return f"correct = {_show(correct)} is not true or false"
    err = d.get("error")
    if correct and err is not None:
        return "a correct trace has an error"
    if not correct:
        if not isinstance(err, dict):
            return "a failed trace has no error object"
        if not isinstance(err.get("kind"), str) or not err["kind"]:
            return "error.kind is not a string"
        if "message" in err and err["message"] is not None and not isinstance(err["message"], str):
            return "error.message is not a string"
        for k in ("op", "line"):
            v = err.get(k)
            if v is not None and not (_is_int(v) and 0 <= v <= MAX_OPS):
                return f"error.{k} = {_show(v)} is not a count"
    present = {}
    for k in _INT_FIELDS + _RATE_FIELDS + _RATIO_FIELDS + ("util", "ceiling"):
        v = d.get(k)
        if v is None:
            continue
        if isinstance(v, NonFinite) or (isinstance(v, float) and not math.isfinite(v)):
            return f"{k} = {_show(v)} is not a finite number"
        if not _is_num(v):
            return f"{k} = {_show(v)} is not a number"
        if k in _INT_FIELDS and not _is_int(v):
            return f"{k} = {_show(v)} is not an integer"
        present[k] = v
    for k in _INT_FIELDS:
        if k in present:
            hi = MAX_SAMPLES if k == "samples" else (MAX_OPS if k == "ops" else MAX_BYTES)
            if not 0 <= present[k] <= hi:
                return f"{k} = {present[k]} is out of range [0, {hi}]"
    for k in _RATE_FIELDS + _RATIO_FIELDS:
        if k in present:
            hi = MAX_RATIO if k in _RATIO_FIELDS else MAX_RATE
            if not 0 < present[k] <= hi:
                return f"{k} = {present[k]:g} is out of range (0, {hi:g}]"
    for base in ("ops_per_sec", "libc_ops_per_sec", "ratio"):
        lo, mid, hi = (present.get(base + "_min"), present.get(base), present.get(base + "_max"))
        if lo is not None and mid is not None and lo > mid * (1 + UTIL_SLACK):
            return f"{base}_min = {lo:g} is above {base} = {mid:g}"
        if hi is not None and mid is not None and hi < mid * (1 - UTIL_SLACK):
            return f"{base}_max = {hi:g} is below {base} = {mid:g}"
    ceiling = present.get("ceiling")
    if ceiling is not None and not 0 < ceiling <= 1:
        return f"ceiling = {ceiling:g} is out of range (0, 1]"
    util = present.get("util")
    if util is not None:
        if not 0 < util <= 1:
            return f"util = {util:g} is out of range (0, 1]"
        if ceiling is not None and util > ceiling * (1 + UTIL_SLACK):
            return f"util = {util:g} is above the trace's ceiling {ceiling:g}"
    if correct:
        if util is not None and ceiling is None:
            return "a utilization without the trace's ceiling"
        peak, heap = present.get("peak_payload"), present.get("heap_size")
        if util is not None:
            if peak is None or not heap:
                return "a utilization without peak_payload and heap_size"
            if abs(util - peak / heap) > UTIL_SLACK * max(1.0, util):
                return f"util = {util:g} is not peak_payload / heap_size = {peak / heap:g}"
        if peak is not None and heap is not None and peak > heap:
            return f"peak_payload = {peak} is above heap_size = {heap}"
        if expected_ops is not None and present.get("ops") != expected_ops:
            return f"ops = {_show(d.get('ops'))} but the trace has {expected_ops} requests"
        if present.get("ratio") is not None and not present.get("samples"):
            return "a throughput ratio without timing samples"
    return ""


def clear_measurements(t: "TraceResult") -> None:
    """Forget every number of a trace found to be tampered with: none of them
    may reach a score, a leaderboard or a JSON document."""
    for k in _INT_FIELDS + _RATE_FIELDS + _RATIO_FIELDS + ("util", "ceiling"):
        setattr(t, k, None)
    t.instructions = None
    t.speed_ratio = None


def count_requests(path) -> int | None:
    """The number of requests (a/f/r lines) in a trace file, as the driver
    counts them; None when the file cannot be read."""
    try:
        n = 0
        with open(path, "rb") as f:
            for raw in f:
                s = raw.lstrip()
                if s[:1] in (b"a", b"f", b"r") and s[1:2] in (b" ", b"\t"):
                    n += 1
        return n
    except OSError:
        return None


def _keep_output(text: str) -> str:
    """The allocator's output as the result keeps it: valid text, capped."""
    if not text:
        return ""
    if len(text) > safetext.OUTPUT_PER_TRACE:
        text = text[:safetext.OUTPUT_PER_TRACE] + f"\n{safetext.TRUNCATED} " \
               f"({len(text)} characters, {safetext.OUTPUT_PER_TRACE} kept)"
    # valid UTF-8 (no lone surrogates); control characters stay: each sink escapes them.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
    # [traces] hidden_detail / hidden_visibility of the config that scored
    # this result (scoring.finish): what student-visible outputs show of
    # hidden traces (outputs.student_view)
    hidden_detail: str = "points"
    hidden_visibility: str = "after_due_date"
    student_view: bool = False           # True: hidden detail already removed

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
            "hidden_detail": self.hidden_detail,
            "student_view": self.student_view,
        }
        return d


def trace_dict(t: TraceResult) -> dict[str, Any]:
    d = {k: getattr(t, k) for k in TraceResult.DRIVER_FIELDS}
    for k in ("hidden", "weight", "util_counted", "speed_counted", "speed_ratio",
              "util_credit", "speed_credit", "util_points", "speed_points",
              "points", "max_points", "reason", "instructions", "reproducer", "shown"):
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
