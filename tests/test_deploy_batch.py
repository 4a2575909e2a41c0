"""Class-scale batch grading: an LMS-ready gradebook from a roster, and the
similarity report.

A class of four folders (the reference, tests/allocators/explicit.c, a
near-copy of it with renamed identifiers and a moved function, and
tests/allocators/segregated.c) and a Canvas-style roster of five students
(one without a submission, Canvas's "Points Possible" row) are batch-graded
on 2 jobs.  Checked: gradebook.csv is the roster, rows and columns kept, plus
ONE score column; a Canvas-style import (match each row by ID, SIS User ID
or SIS Login ID; any column Canvas does not know is an assignment) matches
every roster student and finds exactly one assignment; the missing student
has 0; the per-trace detail is in details.csv; the near-copies are flagged
and explicit.c vs segregated.c is not (it is reported as one-way
containment: segregated.c grew out of explicit.c); a folder name that would
be a spreadsheet formula is neutralised; a roster with a duplicate key is
refused with file:line.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deployutil import ROOT

ALLOCS = ROOT / "tests" / "allocators"
SMALL = ["-f", "traces/short-03-reuse.rep", "-f", "traces/synth-fifo.rep", "-f", "traces/synth-phase.rep"]
CANVAS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def roster_rows():
    return [["    Points Possible", "", "", "", ""],
            ["Lovelace, Ada", "101", "s101", "ada", "A"],
            ["Babbage, Bob", "102", "s102", "bob", "A"],
            ["Cy, Cy", "103", "s103", "cy", "B"],
            ["Dee, Dee", "104", "s104", "dee", "B"],
            ["Eve, Eve", "105", "s105", "eve", "B"]]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    klass = tmp / "class"
    for name, src in (("ada", ROOT / "solution/my_alloc.c"), ("bob", ALLOCS / "explicit.c"),
                      ("dee", ALLOCS / "segregated.c")):
        (klass / name).mkdir(parents=True)
        shutil.copy(src, klass / name / "my_alloc.c")
    (klass / "cy").mkdir()
    subprocess.run([sys.executable, str(ROOT / "tests/deploy_allocators/near_copy.py"),
                    str(ALLOCS / "explicit.c"), str(klass / "cy" / "my_alloc.c")], check=True)
    (klass / "=HYPERLINK(1)").mkdir()
    shutil.copy(ALLOCS / "implicit.c", klass / "=HYPERLINK(1)" / "my_alloc.c")
    roster = tmp / "roster.csv"
    with open(roster, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CANVAS)
        w.writerows(roster_rows())
    out = tmp / "out"
    p = subprocess.run([sys.executable, "-m", "grader", "--batch", str(klass), "--jobs", "2",
                        "--out", str(out), "--workdir", str(tmp / "work"), "--speed", "none",
                        "--roster", str(roster), "--assignment", "slablab (4242)", "--similarity",
                        *SMALL], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    return out, p


def canvas_import(gradebook: Path, roster: list[list[str]]) -> tuple[dict, list[str]]:
    """What Canvas does with an uploaded gradebook: rows matched to students by
    ID, SIS User ID or SIS Login ID; columns it does not know are assignments."""
    rows = list(csv.DictReader(open(gradebook, newline="")))
    known = set(CANVAS)
    assignments = [c for c in rows[0] if c not in known]
    students = {r[1]: r for r in roster if r[1]}
    matched = {}
    for r in rows:
        for key, idx in (("ID", 1), ("SIS User ID", 2), ("SIS Login ID", 3)):
            hit = next((s for s in students.values() if r[key] and s[idx] == r[key]), None)
            if hit:
                matched[hit[1]] = {a: r[a] for a in assignments}
                break
    return matched, assignments


def test_gradebook_imports_into_canvas_matching_every_student(graded):
    out, _ = graded
    matched, assignments = canvas_import(out / "gradebook.csv", roster_rows())
    assert assignments == ["slablab (4242)"]
    assert set(matched) == {"101", "102", "103", "104", "105"}
    score = {k: float(v["slablab (4242)"]) for k, v in matched.items()}
    assert score["101"] == 100 and score["105"] == 0          # eve: no submission
    assert score["102"] > 0 and score["102"] == score["103"]     # the copy grades alike
    rows = list(csv.reader(open(out / "gradebook.csv", newline="")))
    assert rows[0] == CANVAS + ["slablab (4242)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "100"
    assert [r[3] for r in rows[2:]] == ["ada", "bob", "cy", "dee", "eve"]     # roster order


def test_details_csv_has_the_per_trace_points(graded):
    out, p = graded
    rows = {r["student"]: r for r in csv.DictReader(open(out / "details.csv", newline=""))}
    assert float(rows["ada"]["synth-fifo.rep"]) > 0 and "failures" in rows["ada"]
    assert set(rows) == {"ada", "bob", "cy", "dee", "'=HYPERLINK(1)"}   # neutralised name
    assert "matches no roster row" in p.stderr                         # and reported


def test_similarity_flags_the_near_copies_only(graded):
    out, p = graded
    pairs = {(r["student_a"], r["student_b"]): r for r in csv.DictReader(open(out / "similarity.csv"))}
    flagged = {k for k, r in pairs.items() if r["flagged"] == "yes"}
    assert flagged == {("bob", "cy")}
    assert min(float(pairs[("bob", "cy")]["share_a"]), float(pairs[("bob", "cy")]["share_b"])) > 0.9
    bd = pairs.get(("bob", "dee"))
    assert bd is None or bd["flagged"] == ""
    assert "bob ~ cy" in p.stdout


def test_bad_roster_is_refused_with_file_and_line(tmp_path):
    klass = tmp_path / "class"
    (klass / "ada").mkdir(parents=True)
    shutil.copy(ROOT / "starter/my_alloc.c", klass / "ada" / "my_alloc.c")
    roster = tmp_path / "r.csv"
    roster.write_text("name,folder\nAda,ada\nAda again,ada\n")
    p = subprocess.run([sys.executable, "-m", "grader", "--batch", str(klass), "--roster", str(roster),
                        "--out", str(tmp_path / "o"), "--speed", "none", *SMALL], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and f"{roster}:3: folder 'ada' already on line 2" in p.stderr
