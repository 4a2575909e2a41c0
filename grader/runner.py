"""Running the driver: the only place the grader touches student code, and
always in a subprocess (the driver itself isolates each trace in a child).

run_driver() runs `driver --json` on a list of traces with an overall
timeout.  If that run dies or prints no valid JSON (a driver bug, a kill),
every trace is retried in a run of its own, so one bad trace never takes the
others with it; a trace whose own run fails becomes an "internal" error.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .model import TraceResult, count_requests, parse_driver_json

# Overall guard around one driver run, on top of the driver's per-trace -T:
# each trace replays twice checked plus samples * 2 timed, so allow a multiple.
GUARD_FACTOR = 4
# With --heapdump, short traces also get the heap after every op (the step-through view).
FRAMES_MAX = 200
GUARD_SLACK_S = 30


@dataclass
class TraceSpec:
    path: Path
    hidden: bool = False

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class DriverRun:
    traces: list[TraceResult] = field(default_factory=list)
    document: dict | None = None      # the driver's JSON (the first run's)
    notes: list[str] = field(default_factory=list)
    exit_status: int | None = None


def select_traces(cfg, trace_dirs: list[str] | None = None,
                  trace_files: list[str] | None = None) -> list[TraceSpec]:
    """-t/-f as in the driver; without them the config's public (+hidden) set."""
    specs: list[TraceSpec] = []
    if trace_dirs or trace_files:
        for d in trace_dirs or []:
            specs += [TraceSpec(p) for p in sorted(Path(d).glob("*.rep"))]
        specs += [TraceSpec(Path(f)) for f in trace_files or []]
        return specs
    specs += [TraceSpec(p) for p in sorted(cfg.public_dir.glob("*.rep"))]
    if cfg.use_hidden and cfg.hidden_dir.is_dir():
        specs += [TraceSpec(p, hidden=True) for p in sorted(cfg.hidden_dir.glob("*.rep"))]
    return specs


def driver_command(driver: str, traces: list[TraceSpec], *, timeout_s: float, samples: int,
                   timing: bool, heapdump: bool = False, libc: bool = False,
                   extra: list[str] | None = None) -> list[str]:
    cmd = [driver, "--json", "-T", f"{timeout_s:g}"]
    if timing:
        cmd += ["--samples", str(samples)]
    else:
        cmd.append("--no-timing")
    if heapdump:
        cmd += ["--heapdump", "--frames", str(FRAMES_MAX)]
    if libc:
        cmd.append("-l")
    cmd += extra or []
    for t in traces:
        cmd += ["-f", str(t.path)]
    return cmd


def guard_seconds(n_traces: int, timeout_s: float) -> float:
    return n_traces * timeout_s * GUARD_FACTOR + GUARD_SLACK_S


def _invoke(cmd: list[str], guard: float, cwd: str | None = None) -> tuple[dict | None, str, int | None]:
    """Run the driver; return (document or None, problem, exit status)."""
    # Its own session: on a timeout the whole group goes (the checker's
    # allocator hosts also die with it, PR_SET_PDEATHSIG).
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                stdin=subprocess.DEVNULL, env=_driver_env(), start_new_session=True)
    except OSError as e:
        return None, f"cannot run the driver: {e.strerror}", None
    try:
        stdout, stderr = proc.communicate(timeout=guard)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None, f"the driver did not finish within {guard:g} s", None
    p = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode not in (0, 1):
        err = p.stderr.decode("utf-8", "replace").strip()
        return None, f"driver exited with status {p.returncode}: {err[-400:]}", p.returncode
    try:
        doc = parse_driver_json(out)    # strict: a bare NaN/Infinity is tamper
    except json.JSONDecodeError as e:
        return None, f"driver printed invalid JSON ({e.msg} at line {e.lineno})", p.returncode
    if not isinstance(doc, dict) or not isinstance(doc.get("traces"), list):
        return None, "driver JSON has no trace list", p.returncode
    return doc, "", p.returncode


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.kill()
    proc.communicate()


def _driver_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "MALLOC_"))}
    env["LC_ALL"] = "C"
    return env


def run_driver(driver: str, traces: list[TraceSpec], *, timeout_s: float, samples: int,
               timing: bool, heapdump: bool = False) -> DriverRun:
    run = DriverRun()
    if not traces:
        return run
    hidden = {str(t.path): t.hidden for t in traces}
    cmd = driver_command(driver, traces, timeout_s=timeout_s, samples=samples,
                         timing=timing, heapdump=heapdump)
    doc, problem, status = _invoke(cmd, guard_seconds(len(traces), timeout_s))
    run.exit_status = status
    if doc is not None and len(doc["traces"]) == len(traces):
        run.document = doc
        run.traces = [_trace(d, spec) for d, spec in zip(doc["traces"], traces)]
        return run
    if doc is not None:
        problem = f"driver reported {len(doc['traces'])} traces for {len(traces)} requested"
    run.notes.append(f"driver run failed ({problem}); retrying each trace on its own")
    for spec in traces:
        cmd = driver_command(driver, [spec], timeout_s=timeout_s, samples=samples,
                             timing=timing, heapdump=heapdump)
        doc, problem, _ = _invoke(cmd, guard_seconds(1, timeout_s))
        if doc is not None and len(doc["traces"]) == 1:
            if run.document is None:
                run.document = dict({k: v for k, v in doc.items() if k != "traces"}, traces=[])
            run.document["traces"].append(doc["traces"][0])
            run.traces.append(_trace(doc["traces"][0], spec))
        else:
            run.traces.append(TraceResult(
                name=spec.name, path=str(spec.path), hidden=hidden[str(spec.path)], correct=False,
                error={"kind": "internal", "op": None, "line": None, "message": problem}))
    return run


def _trace(d: dict, spec: TraceSpec) -> TraceResult:
    t = TraceResult.from_driver(d, hidden=spec.hidden, expected_ops=count_requests(spec.path),
                                expected_name=spec.name)
    if not t.name:
        t.name = spec.name
    if not t.path:
        t.path = str(spec.path)
    return t
