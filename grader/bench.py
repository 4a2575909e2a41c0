"""grader.bench -- `make bench`: the reference solution against its targets, on two sets.

Replays the traces with the driver linked to solution/my_alloc.c
(build/driver-solution, built by `make`) and prints, per trace and overall:
the solution's utilization, the trace's ceiling (what a zero-overhead
allocator with 16-byte alignment would reach), utilization as a share of the
ceiling, the solution's throughput, libc malloc's throughput measured in the
same run, and their ratio; then the driver's own speed with every check on
(its checked replay, JSON field checked_ops_per_sec).

Two sets, both by default, in the same run:

  public      traces/*.rep: the set the solution is TUNED on.  Its targets
              (issue 3) are judged on the traces recorded from real programs
              (real-*.rep); the synthetic and short traces are shown too.
  validation  traces/validation/*.rep: recordings of programs outside the
              public set (traces/record-validation.sh), kept apart from
              tuning: the solution is REPORTED on them (issue 13).  Every
              trace in it is a real-program trace.

Targets, per set, over its real-program traces:
  utilization   mean util / ceiling >= 0.95, none below 0.85;
  throughput    median ratio to libc >= 2.0 -- on the validation set over the
                traces with at least 100,000 operations, none of which may be
                below 1.0 (a short trace's time is mostly its first touches).
Throughput on a busy machine is noisy: the ratio is paired sample by sample,
which survives load better than either rate alone.  --runs N repeats the
whole run N times and reports each run's median ratio and, per trace, the
median of its N ratios (what the targets are judged on when N > 1).

    python3 -m grader.bench [--set public|validation|both] [--runs N] [--samples N]
                            [--driver PATH] [--traces DIR] [--validation DIR] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
UTIL_MEAN_TARGET = 0.95   # mean of util / ceiling over real-program traces
UTIL_FLOOR = 0.85         # no real-program trace below this share of its ceiling
RATIO_TARGET = 2.0        # median of the per-trace throughput ratios vs libc
RATIO_FLOOR = 1.0         # validation: no long trace below this ratio
LONG_TRACE_OPS = 100_000  # validation: throughput is judged on traces this long


class BenchSet:
    """One set of traces and how its real-program traces are told apart."""

    def __init__(self, name: str, directory: Path, real_prefix: str, long_only: bool):
        self.name = name
        self.directory = directory
        self.real_prefix = real_prefix      # "" : every trace is a real program
        self.long_only = long_only          # throughput judged on long traces only

    def is_real(self, t: dict) -> bool:
        return t["name"].startswith(self.real_prefix)

    def is_timed(self, t: dict) -> bool:
        """Does this trace's ratio count for the throughput target?"""
        return self.is_real(t) and (not self.long_only or (t.get("ops") or 0) >= LONG_TRACE_OPS)


def run_driver(driver: Path, traces: Path, samples: int) -> dict:
    """Run the driver over every trace in `traces`; return its JSON document."""
    if not driver.exists():
        sys.exit(f"bench: {driver} not found; run `make` first")
    cmd = [str(driver), "-t", str(traces), "--json", "--samples", str(samples)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 2 or not proc.stdout.strip():
        sys.exit(f"bench: {' '.join(cmd)} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        sys.exit(f"bench: the driver's JSON is unreadable ({e})")


def share(t: dict) -> Optional[float]:
    """Utilization as a share of the trace's ceiling."""
    if t.get("util") is None or not t.get("ceiling"):
        return None
    return t["util"] / t["ceiling"]


def fmt(x: Optional[float], pattern: str) -> str:
    return "-" if x is None else pattern.format(x)


def short_name(name: str) -> str:
    """real-gcc.rep -> gcc, val-bc.rep -> bc (str.removeprefix is 3.9+)."""
    for prefix in ("real-", "val-"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name[:-4] if name.endswith(".rep") else name


def checked_rate_overall(traces: List[dict]) -> Optional[float]:
    """All traces' operations over their total checked-replay time."""
    timed = [t for t in traces if t.get("checked_ops_per_sec") and t.get("ops")]
    if not timed:
        return None
    return sum(t["ops"] for t in timed) / sum(t["ops"] / t["checked_ops_per_sec"] for t in timed)


def timed_ratios(bset: BenchSet, doc: dict) -> Dict[str, float]:
    """Per trace that counts for the throughput target, its ratio in this run."""
    return {t["name"]: t["ratio"] for t in doc["traces"] if bset.is_timed(t) and t.get("ratio") is not None}


def summarize(bset: BenchSet, docs: List[dict]) -> dict:
    """The set's numbers over its runs: utilization from the first run (it
    does not depend on timing), ratios as per-trace medians over the runs."""
    traces = docs[0]["traces"]
    real = [t for t in traces if bset.is_real(t)]
    shares = [s for s in map(share, real) if s is not None]
    per_run = [timed_ratios(bset, d) for d in docs]
    names = sorted({n for r in per_run for n in r})
    trace_median = {n: statistics.median([r[n] for r in per_run if n in r]) for n in names}
    run_medians = [statistics.median(r.values()) for r in per_run if r]
    return {
        "set": bset.name,
        "directory": str(bset.directory),
        "runs": len(docs),
        "traces": len(traces),
        "correct": min(sum(1 for t in d["traces"] if t["correct"]) for d in docs),
        "real_traces": len(real),
        "share_mean": statistics.mean(shares) if shares else None,
        "share_min": min(shares) if shares else None,
        "timed_traces": len(names),
        "trace_median_ratio": trace_median,
        "ratio_median": statistics.median(trace_median.values()) if trace_median else None,
        "ratio_min": min(trace_median.values()) if trace_median else None,
        "run_medians": run_medians,
        "checked_ops_per_sec": checked_rate_overall(traces),
    }


def verdict(ok: bool) -> str:
    return "meets target" if ok else "BELOW target"


def print_set(bset: BenchSet, docs: List[dict], s: dict) -> None:
    runs = len(docs)
    print(f"== {bset.name} set: {bset.directory} ({s['traces']} traces)")
    ratio_head = "ratio" if runs == 1 else f"med{runs}"
    head = (f"{'trace':<26} {'ops':>7} {'ok':>3} {'util':>6} {'ceil':>6} {'of ceil':>7} "
            f"{'Mops/s':>7} {'libc':>7} {ratio_head:>6} {'checked':>7}")
    print(head)
    print("-" * len(head))
    for t in docs[0]["traces"]:
        mops = t["ops_per_sec"] / 1e6 if t.get("ops_per_sec") else None
        libc = t["libc_ops_per_sec"] / 1e6 if t.get("libc_ops_per_sec") else None
        checked = t["checked_ops_per_sec"] / 1e6 if t.get("checked_ops_per_sec") else None
        ratios = [r for r in (next((u.get("ratio") for u in d["traces"] if u["name"] == t["name"]), None)
                              for d in docs) if r is not None]
        ratio = statistics.median(ratios) if ratios else None
        mark = "" if bset.is_timed(t) or not bset.is_real(t) else "*"
        print(f"{t['name']:<26} {t.get('ops') or 0:>7} {'yes' if t['correct'] else 'NO':>3} "
              f"{fmt(t.get('util'), '{:.1%}'):>6} {fmt(t.get('ceiling'), '{:.1%}'):>6} "
              f"{fmt(share(t), '{:.1%}'):>7} {fmt(mops, '{:.2f}'):>7} {fmt(libc, '{:.2f}'):>7} "
              f"{fmt(ratio, '{:.2f}x'):>6}{mark:1} {fmt(checked, '{:.2f}'):>7}")
        if not t["correct"] and t.get("error"):
            print(f"    {t['error'].get('kind')}: {t['error'].get('message')}")
    print(f"{s['correct']} of {s['traces']} traces correct" + (f" in every one of {runs} runs" if runs > 1 else ""))
    if not s["real_traces"]:
        return
    which = "real-program traces" if bset.real_prefix else "traces (all real programs)"
    print(f"{which} ({s['real_traces']}):")
    if s["share_mean"] is not None:
        print(f"  utilization, share of ceiling: mean {s['share_mean']:.1%} "
              f"({verdict(s['share_mean'] >= UTIL_MEAN_TARGET)}: >= {UTIL_MEAN_TARGET:.0%}), "
              f"lowest {s['share_min']:.1%} ({verdict(s['share_min'] >= UTIL_FLOOR)}: >= {UTIL_FLOOR:.0%})")
    if s["ratio_median"] is not None:
        over = (f"{s['timed_traces']} traces of >= {LONG_TRACE_OPS:,} ops (* : shorter, not judged)"
                if bset.long_only else f"{s['timed_traces']} traces")
        line = (f"  throughput vs libc, median ratio: {s['ratio_median']:.2f}x "
                f"({verdict(s['ratio_median'] >= RATIO_TARGET)}: >= {RATIO_TARGET:.0f}x) over {over}")
        if bset.long_only:
            line += (f"; lowest {s['ratio_min']:.2f}x "
                     f"({verdict(s['ratio_min'] >= RATIO_FLOOR)}: >= {RATIO_FLOOR:.0f}x)")
        print(line)
    meds = s["run_medians"]
    if runs > 1 and meds:
        print(f"  over {runs} runs (ratios above: per-trace medians): each run's median ratio "
              + ", ".join(f"{m:.2f}x" for m in meds)
              + f"; {sum(1 for m in meds if m >= RATIO_TARGET)} of {len(meds)} runs >= {RATIO_TARGET:.0f}x")
    if s["checked_ops_per_sec"] is not None:
        print(f"  driver, every check on (checked replay): {s['checked_ops_per_sec'] / 1e6:.2f} Mops/s overall")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--driver", type=Path, default=ROOT / "build" / "driver-solution")
    ap.add_argument("--set", choices=("public", "validation", "both"), default="both",
                    help="which set to replay (default both, in the same run)")
    ap.add_argument("--traces", type=Path, default=ROOT / "traces", help="the public set's directory")
    ap.add_argument("--validation", type=Path, default=ROOT / "traces" / "validation",
                    help="the validation set's directory")
    ap.add_argument("--samples", type=int, default=5, help="timing samples per trace (default 5)")
    ap.add_argument("--runs", type=int, default=1,
                    help="repeat the whole run N times; ratios become per-trace medians (default 1)")
    ap.add_argument("--json", action="store_true", help="print the summaries and the driver's documents as JSON")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error("--samples must be at least 1")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    sets = []
    if args.set in ("public", "both"):
        sets.append(BenchSet("public", args.traces, "real-", long_only=False))
    if args.set in ("validation", "both"):
        sets.append(BenchSet("validation", args.validation, "", long_only=True))
    for b in sets:
        if not b.directory.is_dir():
            ap.error(f"{b.directory}: not a directory")
    # Runs interleave the sets, so that a burst of load hits both alike.
    docs: Dict[str, List[dict]] = {b.name: [] for b in sets}
    for _ in range(args.runs):
        for b in sets:
            docs[b.name].append(run_driver(args.driver, b.directory, args.samples))
    summaries = {b.name: summarize(b, docs[b.name]) for b in sets}
    if args.json:
        json.dump({"sets": summaries, "driver": {n: d for n, d in docs.items()}}, sys.stdout, indent=1)
        print()
    else:
        for i, b in enumerate(sets):
            if i:
                print()
            print_set(b, docs[b.name], summaries[b.name])
    correct = all(s["correct"] == s["traces"] for s in summaries.values())
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
