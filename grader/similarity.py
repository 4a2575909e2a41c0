"""Similarity across a class: which submissions are near-copies of each other.

Uses Debian's similarity-tester (`sim_c`, Dick Grune's tester): it compares C
token streams, insensitive to layout, comments, identifiers and the values
of literals, and reports each common run of at least -r tokens with its line
ranges in both files.  Here:

  * every submission is copied to a private directory under a plain name
    (0001.c, ...), so a student's file name never reaches a command line or
    the report unescaped; the report maps them back;
  * the starter is part of the comparison, and every line of a submission
    that lies in a run shared with the starter is discounted: code everyone
    was given is nobody's evidence;
  * for each pair, share(A, B) = A's remaining code lines inside runs shared
    with B / A's remaining code lines (blank and comment-only lines never
    count).  Renamed variables do not hide a run (identifiers are not
    compared) and neither do reordered functions (runs are found wherever
    they are);
  * a pair is FLAGGED when both shares reach the threshold (default 0.80):
    two near-copies.  A pair where only one direction does (one file holds
    most of the other, e.g. a solution that grew out of another) is listed
    as one-way containment, not flagged: a TA decides.

Output: similarity.csv (student_a, student_b, share_a, share_b, flagged,
kind) sorted by min share, and the flagged pairs on the terminal.  The
report is evidence for a human, never a grade.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SIM = "sim_c"
MIN_RUN = 24                 # sim_c's default minimum run, in tokens
THRESHOLD = 0.80
_RUN = re.compile(r"^(?P<a>[^:]+): line (?P<a0>\d+)-(?P<a1>\d+)\s*\|\s*"
                  r"(?P<b>[^:]+): line (?P<b0>\d+)-(?P<b1>\d+)\s*\[\s*\d+\]\s*$")


class SimilarityError(Exception):
    """sim_c is missing or failed: the batch goes on without the report."""


@dataclass
class Pair:
    a: str
    b: str
    share_a: float
    share_b: float

    @property
    def flagged(self) -> bool:
        return min(self.share_a, self.share_b) >= THRESHOLD

    @property
    def kind(self) -> str:
        if self.flagged:
            return "near-copy"
        if max(self.share_a, self.share_b) >= THRESHOLD:
            return "one-way containment"
        return ""


def code_lines(text: str) -> set[int]:
    """1-based numbers of lines holding C code (not blank, not only comment)."""
    out, in_block = set(), False
    for n, line in enumerate(text.splitlines(), 1):
        s, code = line, False
        i = 0
        while i < len(s):
            if in_block:
                j = s.find("*/", i)
                if j < 0:
                    i = len(s)
                    break
                in_block, i = False, j + 2
            elif s.startswith("/*", i):
                in_block, i = True, i + 2
            elif s.startswith("//", i):
                break
            else:
                if not s[i].isspace():
                    code = True
                i += 1
        if code:
            out.add(n)
    return out


def compare(submissions: list[tuple[str, Path]], starter: Path | None,
            min_run: int = MIN_RUN) -> list[Pair]:
    """Every pair of (student, C file), starter discounted, most similar first."""
    if shutil.which(SIM) is None:
        raise SimilarityError(f"{SIM} not found (Debian package similarity-tester)")
    with tempfile.TemporaryDirectory(prefix="slablab-sim.") as tmp:
        d = Path(tmp)
        names, lines = {}, {}
        for i, (student, src) in enumerate(submissions, 1):
            f = d / f"{i:04d}.c"
            text = src.read_text(encoding="utf-8", errors="replace")
            f.write_text(text, encoding="utf-8")
            names[f.name], lines[f.name] = student, code_lines(text)
        files = sorted(names)
        if starter is not None and starter.is_file():
            (d / "starter.c").write_text(starter.read_text(encoding="utf-8", errors="replace"))
            files.append("starter.c")
        try:
            # -e: each pair on its own (otherwise sim_c gives a run to one partner
            # only, and a pair's share would depend on who else is in the class)
            p = subprocess.run([SIM, "-e", "-n", f"-r{min_run}", "-w200", *files], cwd=d,
                               capture_output=True, text=True, timeout=600,
                               stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SimilarityError(f"{SIM} failed: {e}") from None
        if p.returncode != 0:
            raise SimilarityError(f"{SIM} failed: {p.stderr.strip()[-300:]}")
    given = {f: set() for f in names}                  # lines shared with the starter
    shared: dict[tuple[str, str], set] = {}           # (A, B) -> A's lines in runs with B
    for line in p.stdout.splitlines():
        m = _RUN.match(line.strip())
        if not m or m["a"] == m["b"]:
            continue
        ra = set(range(int(m["a0"]), int(m["a1"]) + 1))
        rb = set(range(int(m["b0"]), int(m["b1"]) + 1))
        if m["b"] == "starter.c" and m["a"] in given:
            given[m["a"]] |= ra
        elif m["a"] == "starter.c" and m["b"] in given:
            given[m["b"]] |= rb
        elif m["a"] in names and m["b"] in names:
            shared.setdefault((m["a"], m["b"]), set()).update(ra)
            shared.setdefault((m["b"], m["a"]), set()).update(rb)
    own = {f: lines[f] - given[f] for f in names}

    def share(a: str, b: str) -> float:
        if not own[a]:
            return 0.0
        return len(shared.get((a, b), set()) & own[a]) / len(own[a])

    pairs = []
    fs = sorted(names)
    for i, a in enumerate(fs):
        for b in fs[i + 1:]:
            pairs.append(Pair(names[a], names[b], round(share(a, b), 3), round(share(b, a), 3)))
    pairs.sort(key=lambda q: (-min(q.share_a, q.share_b), -max(q.share_a, q.share_b), q.a, q.b))
    return pairs


def write_report(path: Path, pairs: list[Pair], limit: int = 2000) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_a", "student_b", "share_a", "share_b", "flagged", "kind"])
        for q in pairs[:limit]:
            if q.share_a == 0 and q.share_b == 0:
                break
            w.writerow([q.a, q.b, f"{q.share_a:.3f}", f"{q.share_b:.3f}",
                        "yes" if q.flagged else "", q.kind])
