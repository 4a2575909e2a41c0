"""grader.bench -- `make bench`: the reference solution against its targets.

Replays every public trace with the driver linked to solution/my_alloc.c
(build/driver-solution, built by `make`) and prints, per trace and overall:
the solution's utilization, the trace's ceiling (what a zero-overhead
allocator with 16-byte alignment would reach), utilization as a share of the
ceiling, the solution's throughput, libc malloc's throughput measured in the
same run, and their ratio; then the driver's own speed with every check on
(its checked replay, JSON field checked_ops_per_sec), per trace and overall.

The targets (issue 3) are judged on the traces recorded from real programs
(real-*.rep): utilization at least 95% of the ceiling on average and never
below 85%; throughput at least 2x libc (median of the per-trace ratios).
Throughput on a busy machine is noisy: the ratio is paired sample by sample,
which survives load better than either rate alone, but rerun before believing
a single bad number.  --runs N repeats the whole run N times and reports the
median ratio of every run (the target is met robustly when every run meets
it) and, per real trace, the median of its N ratios.

    python3 -m grader.bench [--driver PATH] [--traces DIR] [--samples N] [--runs N] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UTIL_MEAN_TARGET = 0.95   # mean of util / ceiling over real-program traces
UTIL_FLOOR = 0.85         # no real-program trace below this share of its ceiling
RATIO_TARGET = 2.0        # median of the per-trace throughput ratios vs libc


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


def share(t: dict) -> float | None:
    """Utilization as a share of the trace's ceiling."""
    if t.get("util") is None or not t.get("ceiling"):
        return None
    return t["util"] / t["ceiling"]


def fmt(x: float | None, pattern: str) -> str:
    return "-" if x is None else pattern.format(x)


def checked_rate_overall(traces: list[dict]) -> float | None:
    """All traces' operations over their total checked-replay time."""
    timed = [t for t in traces if t.get("checked_ops_per_sec") and t.get("ops")]
    if not timed:
        return None
    return sum(t["ops"] for t in timed) / sum(t["ops"] / t["checked_ops_per_sec"] for t in timed)


def real_ratios(doc: dict) -> dict[str, float]:
    """Per real-program trace, its throughput ratio in this run."""
    return {t["name"]: t["ratio"] for t in doc["traces"]
            if t["name"].startswith("real-") and t.get("ratio") is not None}


def summarize_runs(docs: list[dict]) -> dict:
    """Over repeated runs: each run's median real-trace ratio, and per real
    trace the median of its ratios."""
    per_run = [real_ratios(d) for d in docs]
    run_medians = [statistics.median(r.values()) for r in per_run if r]
    names = sorted({n for r in per_run for n in r})
    return {
        "runs": len(docs),
        "run_medians": run_medians,
        "runs_meeting_target": sum(1 for m in run_medians if m >= RATIO_TARGET),
        "trace_median_ratio": {n: statistics.median([r[n] for r in per_run if n in r]) for n in names},
    }


def print_runs(s: dict) -> None:
    meds = s["run_medians"]
    if not meds:
        return
    print(f"over {s['runs']} runs: median ratio per run {min(meds):.2f}x .. {max(meds):.2f}x "
          f"(median {statistics.median(meds):.2f}x); {s['runs_meeting_target']} of {len(meds)} runs "
          f">= {RATIO_TARGET:.0f}x")
    print("  per real trace, median ratio: " + ", ".join(
        f"{n.removeprefix('real-').removesuffix('.rep')} {r:.2f}x" for n, r in s["trace_median_ratio"].items()))


def summarize(doc: dict) -> dict:
    traces = doc["traces"]
    real = [t for t in traces if t["name"].startswith("real-")]
    shares = [s for s in map(share, real) if s is not None]
    ratios_real = [t["ratio"] for t in real if t.get("ratio") is not None]
    ratios_all = [t["ratio"] for t in traces if t.get("ratio") is not None]
    return {
        "traces": len(traces),
        "correct": sum(1 for t in traces if t["correct"]),
        "real_traces": len(real),
        "real_share_mean": statistics.fmean(shares) if shares else None,
        "real_share_min": min(shares) if shares else None,
        "real_ratio_median": statistics.median(ratios_real) if ratios_real else None,
        "all_ratio_median": statistics.median(ratios_all) if ratios_all else None,
        "checked_ops_per_sec": checked_rate_overall(traces),
    }


def print_table(doc: dict, summary: dict) -> None:
    head = f"{'trace':<26} {'ok':>3} {'util':>7} {'ceiling':>8} {'of ceil':>8} {'Mops/s':>8} {'libc':>8} {'ratio':>7} {'checked':>8}"
    print(head)
    print("-" * len(head))
    for t in doc["traces"]:
        mops = t["ops_per_sec"] / 1e6 if t.get("ops_per_sec") else None
        libc = t["libc_ops_per_sec"] / 1e6 if t.get("libc_ops_per_sec") else None
        checked = t["checked_ops_per_sec"] / 1e6 if t.get("checked_ops_per_sec") else None
        print(f"{t['name']:<26} {'yes' if t['correct'] else 'NO':>3} {fmt(t.get('util'), '{:.1%}'):>7} "
              f"{fmt(t.get('ceiling'), '{:.1%}'):>8} {fmt(share(t), '{:.1%}'):>8} {fmt(mops, '{:.2f}'):>8} "
              f"{fmt(libc, '{:.2f}'):>8} {fmt(t.get('ratio'), '{:.2f}x'):>7} {fmt(checked, '{:.2f}'):>8}")
        if not t["correct"] and t.get("error"):
            print(f"    {t['error'].get('kind')}: {t['error'].get('message')}")
    s = summary
    print()
    print(f"{s['correct']} of {s['traces']} traces correct")
    if s["real_traces"]:
        def verdict(ok: bool) -> str:
            return "meets target" if ok else "BELOW target"
        mean, low, ratio = s["real_share_mean"], s["real_share_min"], s["real_ratio_median"]
        print(f"real-program traces ({s['real_traces']}):")
        if mean is not None:
            print(f"  utilization, share of ceiling: mean {mean:.1%} ({verdict(mean >= UTIL_MEAN_TARGET)}: "
                  f">= {UTIL_MEAN_TARGET:.0%}), lowest {low:.1%} ({verdict(low >= UTIL_FLOOR)}: >= {UTIL_FLOOR:.0%})")
        if ratio is not None:
            print(f"  throughput vs libc, median ratio: {ratio:.2f}x ({verdict(ratio >= RATIO_TARGET)}: "
                  f">= {RATIO_TARGET:.0f}x)")
    if s["all_ratio_median"] is not None:
        print(f"all traces: median throughput ratio {s['all_ratio_median']:.2f}x")
    if s["checked_ops_per_sec"] is not None:
        print(f"driver, every check on (checked replay): {s['checked_ops_per_sec'] / 1e6:.2f} Mops/s overall "
              f"(column 'checked': per trace, Mops/s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m grader.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--driver", type=Path, default=ROOT / "build" / "driver-solution")
    ap.add_argument("--traces", type=Path, default=ROOT / "traces")
    ap.add_argument("--samples", type=int, default=5, help="timing samples per trace (default 5)")
    ap.add_argument("--runs", type=int, default=1,
                    help="repeat the whole run N times and report every run's median ratio (default 1)")
    ap.add_argument("--json", action="store_true", help="print the summary and the driver's document as JSON")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error("--samples must be at least 1")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not args.traces.is_dir():
        ap.error(f"{args.traces}: not a directory")
    docs = [run_driver(args.driver, args.traces, args.samples) for _ in range(args.runs)]
    doc = docs[0]
    summary = summarize(doc)
    runs = summarize_runs(docs) if args.runs > 1 else None
    if args.json:
        out = {"summary": summary, "driver": doc}
        if runs:
            out["runs"] = runs
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        print_table(doc, summary)
        if runs:
            print_runs(runs)
    correct = all(sum(1 for t in d["traces"] if t["correct"]) == len(d["traces"]) for d in docs)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
