#!/usr/bin/env python3
"""convert.py -- turn other trace formats into kit traces (format: traces/README.md).

    traces/convert.py cs107 IN -o OUT.rep          CS107 script: 'a ID SIZE', 'r ID SIZE', 'f ID'
    traces/convert.py size-first IN -o OUT.rep     slab-lab style: 'a SIZE ID', 'r SIZE ID', 'f ID'
    traces/convert.py recording RAW -o OUT.rep     a raw recorder log (grader/recorder/, rec.PID.N)
        [--max-ops N]                              cut the trace at N requests (end frees included)

The result has a description comment, a CS:APP 4-number header and one id per
block (ids that the input reused after a free are renumbered).  Bad input is
reported as "file:line: reason" with exit status 2.  Standard library only.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracekit  # noqa: E402  (the kit's one Python trace module)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert traces into the kit format.")
    ap.add_argument("format", choices=["cs107", "size-first", "recording"])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True, help="the kit trace to write")
    ap.add_argument("--max-ops", type=int, help="recording: cut at this many requests")
    ap.add_argument("--describe", action="append", default=[], help="a '#' description line")
    args = ap.parse_args(argv)
    try:
        if args.format == "recording":
            log = tracekit.read_raw_log(args.input)
            conv = tracekit.convert_log(log.entries, args.max_ops)
            ops = conv.ops
            notes = [f"recorded by grader/recorder from: {log.cmdline[:200]}",
                     f"conversion: {conv.dropped_frees} frees of pre-recording memory dropped, "
                     f"{conv.zero_or_huge} zero-size/huge blocks left out, "
                     f"{conv.freed_at_end} blocks freed at the end"]
        else:
            with open(args.input, encoding="ascii", errors="replace") as f:
                text = f.read()
            ops = tracekit.read_script(args.input, text, size_first=args.format == "size-first")
            notes = [f"converted from {os.path.basename(args.input)} ({args.format} format)"]
        st = tracekit.write_trace(args.output, ops, args.describe + notes)
    except tracekit.TraceError as e:
        print(f"convert.py: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"convert.py: {e.filename}:0: {e.strerror}", file=sys.stderr)
        return 2
    print(f"{args.output}: {st.summary()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
