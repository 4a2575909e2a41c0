"""Reading and validating grader/config.toml.

The whole file is checked before anything is graded: an unknown key, a value
of the wrong type or an impossible range (util_min >= util_max...) raises
ConfigError with "FILE: key: reason", so a TA's typo never silently changes
grades.  After loading, a Config is read-only data; nothing else parses TOML.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

# TOML: the standard library's reader from Python 3.11, else tomli, the same
# code as a package (Debian/Ubuntu: python3-tomli; every platform's setup
# installs it from its own package manager).  Neither: a clear message at
# load time, never an ImportError at start-up.
try:
    import tomllib as _toml
except ImportError:           # Python < 3.11
    try:
        import tomli as _toml
    except ImportError:
        _toml = None

NO_TOML_READER = ("no TOML reader: Python 3.11+ has tomllib; on older Pythons install tomli "
                  "(Debian/Ubuntu: apt-get install python3-tomli; tools/install-deps.sh --grade "
                  "does it)")

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_CONFIG = PACKAGE_DIR / "config.toml"

RULES = ("forbidden-call", "interposition", "extra-symbol", "global-data")
SPEED_MODES = ("wallclock", "instructions", "none")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_DETAILS = ("points", "pass_fail", "none", "full")


class ConfigError(Exception):
    """A bad configuration: the message names the file, the key and why."""


@dataclass(frozen=True)
class TraceWeight:
    weight: float = 1.0
    util: bool = True
    speed: bool = True
    util_min: float | None = None     # per-trace thresholds (None: [scoring]'s)
    util_max: float | None = None


@dataclass(frozen=True)
class Thresholds:
    ratio_min: float
    ratio_max: float


@dataclass(frozen=True)
class LatePolicy:
    per_day_percent: float = 0.0   # of the score, per started day late
    max_days: int = 0               # later than this: 0 (0: no limit)


# Whole-grading time budgets per platform (seconds), below each platform's
# default limit with room for its own start-up and our build: Gradescope's
# 10 min, Autolab's 180 s, PrairieLearn's 30 s.  0 = no budget.
DEFAULT_BUDGETS = {"local": 0.0, "gradescope": 540.0, "autolab": 150.0,
                   "prairielearn": 24.0, "classroom": 540.0}


@dataclass(frozen=True)
class Config:
    path: str
    max_score: float = 100.0
    # traces
    public_dir: Path = REPO_ROOT / "traces"
    hidden_dir: Path = REPO_ROOT / "traces" / "hidden"
    use_hidden: bool = True
    hidden_visibility: str = "after_due_date"
    hidden_detail: str = "points"
    timeout_s: float = 10.0
    samples: int = 5
    default_weight: float = 1.0
    trace_weights: dict = field(default_factory=dict)   # name -> TraceWeight
    # scoring
    util_weight: float = 60.0
    speed_weight: float = 40.0
    util_mode: str = "ceiling"
    util_min: float = 0.6
    util_max: float = 0.85
    correctness_penalty: float = 2.0
    wallclock: Thresholds = Thresholds(0.2, 0.7)
    instructions: Thresholds = Thresholds(0.2, 0.7)
    # speed
    speed_mode: str = "wallclock"
    instructions_timeout_s: float = 600.0
    # build
    cc: str = "cc"
    cflags: tuple = ("-std=c11", "-Wall", "-Wextra", "-O2", "-g")
    build_timeout_s: float = 60.0
    warning_penalty: float = 0.0
    # static
    max_global_data: int = 128
    contract: tuple = ()
    allowed: tuple = ()
    penalties: dict = field(default_factory=dict)       # rule -> float | "zero"
    # platforms
    budgets: dict = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    late: LatePolicy = LatePolicy()

    def budget_for(self, platform: str) -> float:
        """Seconds the whole grading may take on that platform (0: unbounded)."""
        return float(self.budgets.get(platform, 0.0))

    def weight_of(self, trace_name: str) -> TraceWeight:
        """The exact name's entry, else the first matching pattern's, else the default."""
        if trace_name in self.trace_weights:
            return self.trace_weights[trace_name]
        for pattern, w in self.trace_weights.items():
            if fnmatch.fnmatchcase(trace_name, pattern):
                return w
        return TraceWeight(self.default_weight, True, True)

    def util_thresholds(self, trace_name: str) -> tuple[float, float]:
        w = self.weight_of(trace_name)
        return (self.util_min if w.util_min is None else w.util_min,
                self.util_max if w.util_max is None else w.util_max)

    def thresholds(self, mode: str) -> Thresholds:
        return self.instructions if mode == "instructions" else self.wallclock

    def compiler(self) -> str:
        return os.environ.get("CC") or self.cc


class _Reader:
    """Pops keys from one TOML table, checking types; leftovers are errors."""

    def __init__(self, path: str, table: dict, prefix: str):
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {prefix.rstrip('.') or 'top level'}: must be a table")
        self.path, self.table, self.prefix = path, dict(table), prefix

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.prefix}{key}: {reason}")

    def number(self, key, default, lo=None, hi=None, integer=False):
        v = self.table.pop(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(key, f"must be a number, got {v!r}")
        if integer and not isinstance(v, int):
            raise self.fail(key, f"must be an integer, got {v!r}")
        if lo is not None and v < lo:
            raise self.fail(key, f"must be >= {lo}, got {v}")
        if hi is not None and v > hi:
            raise self.fail(key, f"must be <= {hi}, got {v}")
        return v

    def boolean(self, key, default):
        v = self.table.pop(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r}")
        return v

    def string(self, key, default, choices=None):
        v = self.table.pop(key, default)
        if not isinstance(v, str) or not v:
            raise self.fail(key, f"must be a non-empty string, got {v!r}")
        if choices and v not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}; got {v!r}")
        return v

    def strings(self, key, default):
        v = self.table.pop(key, default)
        if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
            raise self.fail(key, "must be a list of non-empty strings")
        return tuple(v)

    def sub(self, key) -> "_Reader":
        return _Reader(self.path, self.table.pop(key, {}), f"{self.prefix}{key}.")

    def done(self):
        if self.table:
            key = sorted(self.table)[0]
            raise self.fail(key, "unknown key (misspelt?)")


def load(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a config file (default grader/config.toml)."""
    p = Path(path) if path else DEFAULT_CONFIG
    shown = _shown(p)
    if _toml is None:
        return from_dict(_sidecar(p, shown), shown, base=REPO_ROOT)
    try:
        raw = _toml.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{shown}: no such config file") from None
    except OSError as e:
        raise ConfigError(f"{shown}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    except _toml.TOMLDecodeError as e:
        raise ConfigError(f"{shown}: not valid TOML: {e}") from None
    return from_dict(raw, shown, base=REPO_ROOT)


SIDECAR_SUFFIX = ".json"      # config.toml -> config.toml.json (platform packages)


def sidecar_document(p: Path) -> dict:
    """What deploy/package.py writes beside the TOML: the parsed config and the
    SHA-256 of the TOML text it came from (needs a TOML reader, at packaging time)."""
    import hashlib
    if _toml is None:
        raise ConfigError(f"{_shown(p)}: cannot make its JSON copy: {NO_TOML_READER}")
    text = p.read_text(encoding="utf-8")
    return {"generated_from": p.name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "config": _toml.loads(text)}


def _sidecar(p: Path, shown: str) -> dict:
    """Without a TOML reader, the JSON copy a platform package carries, if it is
    the copy of this very TOML text (a TA who edits the TOML on the platform
    without repackaging gets an error, not the old config)."""
    import hashlib
    import json
    side = p.with_name(p.name + SIDECAR_SUFFIX)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{shown}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{shown}: cannot read: {e}") from None
    if not side.is_file():
        raise ConfigError(f"{shown}: cannot read: {NO_TOML_READER}")
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
        digest, raw = doc["sha256"], doc["config"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{_shown(side)}: not a config copy ({e})") from None
    if digest != hashlib.sha256(text.encode("utf-8")).hexdigest():
        raise ConfigError(f"{shown}: changed since {side.name} was made, and this Python has no "
                          f"TOML reader to read it: rebuild the package, or {NO_TOML_READER}")
    return raw


def from_dict(raw: dict, shown: str = "<config>", base: Path = REPO_ROOT) -> Config:
    top = _Reader(shown, raw, "")
    max_score = top.number("max_score", 100, lo=1)

    tr = top.sub("traces")
    public_dir = base / tr.string("public_dir", "traces")
    hidden_dir = base / tr.string("hidden_dir", "traces/hidden")
    use_hidden = tr.boolean("use_hidden", True)
    hidden_visibility = tr.string("hidden_visibility", "after_due_date", VISIBILITIES)
    hidden_detail = tr.string("hidden_detail", "points", HIDDEN_DETAILS)
    timeout_s = tr.number("timeout_s", 10, lo=1)
    samples = tr.number("samples", 5, lo=1, hi=101, integer=True)
    default_weight = tr.number("default_weight", 1, lo=0)
    tr.done()

    weights = {}
    tw = top.sub("trace_weights")
    for name in list(tw.table):
        one = tw.sub(name)
        lo = one.number("util_min", -1, lo=0, hi=1) if "util_min" in one.table else None
        hi = one.number("util_max", -1, lo=0, hi=1) if "util_max" in one.table else None
        weights[name] = TraceWeight(one.number("weight", default_weight, lo=0),
                                    one.boolean("util", True), one.boolean("speed", True), lo, hi)
        one.done()
    tw.done()

    sc = top.sub("scoring")
    util_weight = sc.number("util_weight", 60, lo=0)
    speed_weight = sc.number("speed_weight", 40, lo=0)
    if util_weight + speed_weight <= 0:
        raise sc.fail("util_weight", "util_weight + speed_weight must be > 0")
    util_mode = sc.string("util_mode", "ceiling", ("ceiling", "absolute"))
    util_min = sc.number("util_min", 0.6, lo=0, hi=1)
    util_max = sc.number("util_max", 0.85, lo=0, hi=1)
    if util_min >= util_max:
        raise sc.fail("util_min", f"must be below util_max ({util_min} >= {util_max})")
    correctness_penalty = sc.number("correctness_penalty", 2, lo=0)
    thresholds = {}
    for mode in ("wallclock", "instructions"):
        t = sc.sub(mode)
        lo = t.number("ratio_min", 0.2, lo=0)
        hi = t.number("ratio_max", 0.7, lo=0)
        if lo >= hi:
            raise t.fail("ratio_min", f"must be below ratio_max ({lo} >= {hi})")
        t.done()
        thresholds[mode] = Thresholds(float(lo), float(hi))
    sc.done()

    for name, w in weights.items():
        lo = util_min if w.util_min is None else w.util_min
        hi = util_max if w.util_max is None else w.util_max
        if lo >= hi:
            raise ConfigError(f"{shown}: trace_weights.{name}: util_min must be below util_max "
                              f"({lo} >= {hi})")

    sp = top.sub("speed")
    speed_mode = sp.string("mode", "wallclock", SPEED_MODES)
    instr_timeout = sp.number("instructions_timeout_s", 600, lo=1)
    sp.done()

    bd = top.sub("build")
    cc = bd.string("cc", "cc")
    cflags = bd.strings("cflags", ["-std=c11", "-Wall", "-Wextra", "-O2", "-g"])
    build_timeout = bd.number("timeout_s", 60, lo=1)
    warning_penalty = bd.number("warning_penalty", 0, lo=0)
    bd.done()

    st = top.sub("static")
    max_global = st.number("max_global_data", 128, lo=0, integer=True)
    contract = st.strings("contract", ["my_init", "my_alloc", "my_free", "allocate_slab",
                                       "my_realloc", "my_check_heap", "my_heap_walk"])
    allowed = st.strings("allowed", [])
    pen = st.sub("penalties")
    penalties = {}
    for rule in RULES:
        v = pen.table.pop(rule, "zero")
        if v != "zero" and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
            raise pen.fail(rule, f'must be a number of points >= 0 or "zero", got {v!r}')
        penalties[rule] = v
    pen.done()
    st.done()

    bu = top.sub("budget")
    budgets = {k: float(bu.number(k, v, lo=0)) for k, v in DEFAULT_BUDGETS.items()}
    bu.done()
    la = top.sub("late")
    late = LatePolicy(float(la.number("per_day_percent", 0, lo=0, hi=100)),
                      int(la.number("max_days", 0, lo=0, integer=True)))
    la.done()
    top.done()

    return Config(
        path=shown, max_score=float(max_score),
        public_dir=public_dir, hidden_dir=hidden_dir, use_hidden=use_hidden,
        hidden_visibility=hidden_visibility, hidden_detail=hidden_detail,
        timeout_s=float(timeout_s), samples=samples,
        default_weight=float(default_weight), trace_weights=weights,
        util_weight=float(util_weight), speed_weight=float(speed_weight),
        util_mode=util_mode, util_min=float(util_min), util_max=float(util_max),
        correctness_penalty=float(correctness_penalty),
        wallclock=thresholds["wallclock"], instructions=thresholds["instructions"],
        speed_mode=speed_mode, instructions_timeout_s=float(instr_timeout),
        cc=cc, cflags=cflags, build_timeout_s=float(build_timeout),
        warning_penalty=float(warning_penalty),
        max_global_data=max_global, contract=contract, allowed=allowed, penalties=penalties,
        budgets=budgets, late=late,
    )


def _shown(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)
