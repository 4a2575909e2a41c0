#!/usr/bin/env python3
"""record.py -- run a program under the slablab recorder; write one kit trace per process.

    python3 grader/recorder/record.py -o DIR --name NAME [--max-ops N] -- PROGRAM ARGS...

The program runs with LD_PRELOAD=build/librecorder.so (build it with
`make recorder`); its stdin, stdout, stderr and exit status are its own.  Every
process it starts (fork, exec, threads included) writes its own raw log;
afterwards each log becomes a trace:

    DIR/NAME.rep             when the program ran as one process
    DIR/NAME.PID.rep         one per process otherwise (PID of that process)

with a '#' comment header naming the command.  See tracekit.convert_log for
what the conversion does (ids per block, frees of memory allocated before
recording dropped, blocks live at exit freed at the end, the optional cap).
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "traces"))
import tracekit  # noqa: E402  (the kit's one Python trace module)


def convert_dir(raw_dir: Path, out_dir: Path, name: str, max_ops: int | None,
                description: list[str], min_ops: int) -> list[tuple[Path, tracekit.RawLog, tracekit.Conversion]]:
    """Convert every raw log in raw_dir; return (trace path, log, conversion) per trace written."""
    logs = [tracekit.read_raw_log(str(p)) for p in sorted(raw_dir.glob("rec.*"))]
    logs = [log for log in logs if log.entries]
    written = []
    for log in logs:
        conv = tracekit.convert_log(log.entries, max_ops)
        if len(conv.ops) < max(min_ops, 1):
            continue
        stem = name if len(logs) == 1 else f"{name}.{log.pid}"
        if (out_dir / f"{stem}.rep").exists() and len(logs) > 1:
            stem = f"{stem}.{Path(log.path).suffix.lstrip('.')}"   # exec'd twice: rec.PID.N
        path = out_dir / f"{stem}.rep"
        notes = [
            f"recorded by grader/recorder from: {log.cmdline[:200]}",
            f"process {log.pid} (parent {log.ppid}), {log.threads} thread(s), "
            f"{len(log.entries)} calls logged",
            f"conversion: {conv.dropped_frees} frees of pre-recording memory dropped, "
            f"{conv.zero_or_huge} zero-size/huge blocks left out, "
            f"{conv.freed_at_end} blocks freed at the end"
            + (f", cut at {max_ops} ops" if conv.capped else ""),
        ]
        tracekit.write_trace(str(path), conv.ops, description + notes)
        written.append((path, log, conv))
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Record a program's heap calls as kit traces.")
    ap.add_argument("-o", "--out", default=".", help="directory for the traces (default .)")
    ap.add_argument("--name", help="trace name (default: the program's name)")
    ap.add_argument("--max-ops", type=int, help="cut each trace at this many requests")
    ap.add_argument("--min-ops", type=int, default=1,
                    help="skip processes whose trace would have fewer requests (default 1)")
    ap.add_argument("--describe", action="append", default=[],
                    help="a '#' description line for the trace (repeatable)")
    ap.add_argument("--lib", default=str(ROOT / "build" / "librecorder.so"),
                    help="the recorder library (default build/librecorder.so)")
    ap.add_argument("--keep-raw", help="copy the raw logs into this directory")
    ap.add_argument("--quiet", action="store_true", help="print nothing but the program's output")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- PROGRAM ARGS...")
    args = ap.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no program to run (put it after --)")
    lib = Path(args.lib).resolve()
    if not lib.is_file():
        print(f"record.py: {lib}: no such library (run `make recorder`)", file=sys.stderr)
        return 2
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = args.name or Path(command[0]).name

    with tempfile.TemporaryDirectory(prefix="slablab-rec-") as raw:
        env = dict(os.environ)
        env["SLABLAB_RECORD_DIR"] = raw
        preload = env.get("LD_PRELOAD")
        env["LD_PRELOAD"] = f"{lib}:{preload}" if preload else str(lib)
        try:
            status = subprocess.call(command, env=env)
        except OSError as e:
            print(f"record.py: cannot run {command[0]}: {e.strerror}", file=sys.stderr)
            return 127
        if args.keep_raw:
            Path(args.keep_raw).mkdir(parents=True, exist_ok=True)
            for p in Path(raw).glob("rec.*"):
                shutil.copy(p, args.keep_raw)
        try:
            written = convert_dir(Path(raw), out_dir, name, args.max_ops, args.describe, args.min_ops)
        except tracekit.TraceError as e:
            print(f"record.py: {e}", file=sys.stderr)
            return 2
    if not args.quiet:
        for path, log, conv in written:
            st = tracekit.stats(conv.ops)
            print(f"record.py: {path}: {st.summary()}  [{log.cmdline[:60]}]", file=sys.stderr)
        if not written:
            print("record.py: no allocations were recorded (statically linked program?)",
                  file=sys.stderr)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
