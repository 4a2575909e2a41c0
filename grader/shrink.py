"""Minimal reproducer: shrink a failed trace to a few lines that still fail the same way.

A grader plug-in (grader/plugins.py): after the driver run, failure_hook()
takes every failed public trace and
  1. cuts it after the failing operation (replay is deterministic, so the
     prefix fails the same way);
  2. runs delta debugging (Zeller's ddmin) over its operations, keeping a
     candidate when the driver still reports the same error kind (and, for a
     crash, the same signal);
  3. writes the result as build/grade/reproducers/<submission>/<trace>.min.rep
     (beside the work directory, which may be temporary) and sets trace.reproducer = {"path", "ops", "original_ops", "kind",
     "text", "seconds"}.
Every candidate is made valid before it is tried: a free or realloc of an id
that is not live is dropped (realloc of a never-used id becomes an alloc), and
so is an alloc of an id that is live.  The search is bounded by a time budget
(SHRINK_SECONDS, default 30 s per trace); on time-out the smallest failing
trace found so far is kept.  Hidden traces are never shrunk (that would
publish them), nor are malformed traces or the driver's own failures.

Also a command:  python3 -m grader.shrink DRIVER TRACE [-o OUT] [--seconds S]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRADER_PLUGIN = True
# A timeout (or CPU limit) is not shrunk: each candidate would cost a whole
# timeout, and a smaller trace that "still hangs" teaches nothing more.
SKIP_KINDS = {"trace", "internal", "tamper", "timeout", "limit", "skipped"}
DEFAULT_SECONDS = float(os.environ.get("SHRINK_SECONDS", "30"))

Op = tuple  # (kind 'a'|'f'|'r', id, size)


def read_ops(path: Path) -> list[Op]:
    """The requests of a trace file, in order (the driver's op indices)."""
    ops = []
    for line in path.read_text(errors="replace").splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0][0].isdigit():
            continue              # blank, comment or header number
        kind, ident = words[0], int(words[1])
        ops.append((kind, ident, int(words[2]) if kind != "f" else 0))
    return ops


def make_valid(ops: list[Op]) -> list[Op]:
    """Drop (or turn into allocs) the requests a subset made meaningless."""
    live, out = set(), []
    for kind, ident, size in ops:
        if kind == "a" and ident in live:
            continue
        if kind == "f" and ident not in live:
            continue
        if kind == "r" and ident not in live:
            kind = "a"
        if kind == "f":
            live.discard(ident)
        else:
            live.add(ident)
        out.append((kind, ident, size))
    return out


def render(ops: list[Op], comment: str = "") -> str:
    lines = [f"# {line}" for line in comment.splitlines()]
    for kind, ident, size in ops:
        lines.append(f"f {ident}" if kind == "f" else f"{kind} {ident} {size}")
    return "\n".join(lines) + "\n"


def signature(error: dict | None) -> tuple | None:
    """What "failing the same way" means: the kind, and a crash's signal."""
    if not error:
        return None
    kind = error.get("kind")
    if kind == "signal":
        return kind, (error.get("message") or "").split(" ", 1)[0]
    return (kind,)


class Tester:
    def __init__(self, driver: str, timeout_s: float, workdir: Path):
        self.driver, self.timeout_s, self.workdir = driver, timeout_s, workdir
        self.runs = 0

    def error_of(self, ops: list[Op]) -> dict | None:
        self.runs += 1
        with tempfile.NamedTemporaryFile("w", suffix=".rep", dir=self.workdir, delete=False) as f:
            f.write(render(ops))
            path = f.name
        try:
            p = subprocess.run([self.driver, "--json", "--no-timing", "-T", f"{self.timeout_s:g}",
                                "-f", path], capture_output=True, text=True,
                               timeout=self.timeout_s * 4 + 10, stdin=subprocess.DEVNULL)
            doc = json.loads(p.stdout)
            return doc["traces"][0]["error"]
        except (subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, IndexError, OSError):
            return {"kind": "internal"}
        finally:
            os.unlink(path)


def ddmin(ops: list[Op], fails, deadline: float) -> list[Op]:
    """Zeller's ddmin over ops; fails(candidate) -> bool.  Stops at the deadline."""
    n = 2
    while len(ops) >= 2 and time.monotonic() < deadline:
        chunk = -(-len(ops) // n)
        parts = [ops[i:i + chunk] for i in range(0, len(ops), chunk)]
        reduced = False
        for i, part in enumerate(parts):
            if time.monotonic() >= deadline:
                return ops
            for cand in (part, [op for j, p in enumerate(parts) if j != i for op in p]):
                cand = make_valid(cand)
                if cand and len(cand) < len(ops) and fails(cand):
                    ops, n, reduced = cand, max(n - 1, 2), True
                    break
            if reduced:
                break
        if not reduced:
            if n >= len(ops):
                break
            n = min(len(ops), 2 * n)
    return ops


def shrink(driver: str, trace: Path, error: dict, timeout_s: float = 2,
           seconds: float = DEFAULT_SECONDS, workdir: Path | None = None) -> tuple[list[Op], int, int]:
    """Returns (minimal ops, original op count, driver runs)."""
    workdir = workdir or Path(tempfile.gettempdir())
    tester = Tester(driver, timeout_s, workdir)
    want = signature(error)
    ops = read_ops(trace)
    original = len(ops)
    op = error.get("op")
    if isinstance(op, int) and 0 <= op < len(ops):
        prefix = ops[:op + 1]
        if signature(tester.error_of(prefix)) == want:
            ops = prefix
    deadline = time.monotonic() + seconds
    fails = lambda cand: signature(tester.error_of(cand)) == want  # noqa: E731
    ops = ddmin(ops, fails, deadline)
    # ddmin removes runs of operations; an id's requests are often spread out:
    # try dropping each id's whole history too, then ddmin what is left.
    for ident in sorted({i for _, i, _ in ops}):
        if time.monotonic() >= deadline:
            break
        cand = [o for o in ops if o[1] != ident]
        if cand and fails(cand):
            ops = cand
    ops = ddmin(ops, fails, deadline)
    return ops, original, tester.runs


def failure_hook(result, trace, ctx) -> None:
    if trace.hidden or not trace.error or trace.error.get("kind") in SKIP_KINDS or not trace.path:
        return
    src = Path(trace.path)
    if not src.is_file():
        return
    t0 = time.monotonic()
    seconds = DEFAULT_SECONDS
    shared = getattr(ctx, "hooks_deadline", None)    # all failed traces share one budget
    if shared is not None:
        seconds = min(seconds, shared - t0)
        if seconds < 1:
            return
    timeout = min(float(ctx.timeout_s), 2.0)
    ops, original, runs = shrink(ctx.driver, src, trace.error, timeout_s=timeout,
                                 seconds=seconds, workdir=Path(ctx.workdir))
    # The work directory may be temporary: reproducers go beside it, to stay.
    from .pipeline import work_name
    owner = getattr(result, "student", "") or work_name(Path(getattr(result, "submission", "") or "x"))
    out_dir = Path(ctx.workdir).parent / "reproducers" / owner
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / (src.stem + ".min.rep")
    comment = (f"minimal reproducer of {src.name} ({original} ops -> {len(ops)}): "
               f"{trace.error.get('kind')}\nreplay it with: build/driver -V -f {out}\n"
               f"or in gdb: gdb --args build/allocator --debug -f {out}")
    text = render(ops, comment)
    out.write_text(text)
    trace.reproducer = {"path": str(out), "ops": len(ops), "original_ops": original,
                        "kind": trace.error.get("kind"), "text": text if len(ops) <= 40 else "",
                        "seconds": round(time.monotonic() - t0, 2), "driver_runs": runs}
    frames = reproducer_frames(ctx.driver, out, timeout)
    if frames:
        trace.reproducer["frames"] = frames


def reproducer_frames(driver: str, path: Path, timeout_s: float) -> list:
    """The heap after every op of a (short) reproducer, for the HTML report's
    step-through view: the driver's --frames, up to the failing op."""
    try:
        p = subprocess.run([driver, "--json", "--no-timing", "-T", f"{timeout_s:g}", "--frames", "200",
                            "-f", str(path)], capture_output=True, text=True, timeout=timeout_s * 4 + 10,
                           stdin=subprocess.DEVNULL)
        doc = json.loads(p.stdout, parse_constant=lambda c: None)
        frames = doc["traces"][0].get("frames") or []
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, IndexError, TypeError):
        return []
    return frames if isinstance(frames, list) else []


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m grader.shrink",
                                 description="Shrink a failing trace to a minimal reproducer.")
    ap.add_argument("driver")
    ap.add_argument("trace")
    ap.add_argument("-o", "--out", help="where to write it (default TRACE.min.rep in the cwd)")
    ap.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    ap.add_argument("-T", type=float, default=2.0, help="per-run timeout given to the driver")
    a = ap.parse_args(argv)
    tester = Tester(a.driver, a.T, Path(tempfile.gettempdir()))
    try:
        error = tester.error_of(read_ops(Path(a.trace)))
    except (OSError, ValueError, IndexError) as e:
        print(f"{a.trace}: cannot read: {e}", file=sys.stderr)
        return 2
    if not error or error.get("kind") in SKIP_KINDS:
        print(f"{a.trace}: nothing to shrink ({'correct' if not error else error['kind']})",
              file=sys.stderr)
        return 2
    ops, original, runs = shrink(a.driver, Path(a.trace), error, a.T, a.seconds)
    out = Path(a.out or (Path(a.trace).stem + ".min.rep"))
    out.write_text(render(ops, f"minimal reproducer of {Path(a.trace).name} ({original} ops -> "
                                f"{len(ops)}): {error['kind']}"))
    print(f"{out}: {len(ops)} of {original} ops, {runs} driver runs; still fails: {error['kind']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
