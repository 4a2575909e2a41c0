"""The student's side: the tarball `make handout` builds, and the student tests.

* The tarball holds what a student needs (starter as my_alloc.c, include,
  driver and grader sources, public traces, handout.md, tests/student, the
  PR workflow, a README) and nothing instructor-only: no file of solution/
  or traces/hidden/, by path or by content.
* In an empty directory, the two quick-start commands of the tarball's own
  README work: `make grade` grades the starter to a clear 0 with reasons,
  `make test` builds and runs the student tests (which fail on the starter,
  each saying why) -- and with a real allocator dropped in, both succeed.
* The student tests tell correct allocators from broken ones: every
  allocator in tests/allocators/ and the solution pass all of them, and each
  mutant (one bug planted in a correct allocator) fails the test aimed at it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from kitutil import run

ROOT = Path(__file__).resolve().parents[1]
TOP = "slablab-handout"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "slablab-handout.tar.gz"
    run([str(ROOT / "tools/make-handout.sh"), str(out)], cwd=ROOT, check=True)
    return out


@pytest.fixture(scope="module")
def members(tarball) -> dict[str, bytes]:
    with tarfile.open(tarball) as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


@pytest.fixture(scope="module")
def student_tree(tarball, tmp_path_factory) -> Path:
    """The tarball unpacked in an empty directory (shared: later tests build in it)."""
    empty = tmp_path_factory.mktemp("empty")
    assert not any(empty.iterdir())
    with tarfile.open(tarball) as tf:
        for m in tf.getmembers():   # what `tar x` would refuse anyway: absolute paths, .., links
            assert m.isfile() or m.isdir(), m.name
            assert not m.name.startswith("/") and ".." not in m.name.split("/"), m.name
        tf.extractall(empty)
    return empty / TOP


def committed(pattern: str) -> list[str]:
    return run(["git", "ls-files", "--", pattern], cwd=ROOT, check=True).stdout.split()


# ---- contents ------------------------------------------------------------------

def test_tarball_has_what_a_student_needs(members):
    names = {n.removeprefix(TOP + "/") for n in members}
    for need in ["README.md", "Makefile", "my_alloc.c", "handout.md", "include/my_alloc.h",
                 "include/memlib.h", "grader/__main__.py", "grader/config.toml",
                 "grader/driver/main.c", "grader/driver/memlib.c", "tests/student/test_alloc.c",
                 ".github/workflows/grade-pr.yml"]:
        assert need in names, f"{need} missing from the handout"
    public = [p for p in committed("traces/*.rep") if "/hidden/" not in p]
    assert public, "the kit has no public traces"
    for t in public:
        assert t in names, f"public trace {t} missing from the handout"
    assert members[f"{TOP}/my_alloc.c"] == (ROOT / "starter/my_alloc.c").read_bytes()
    assert members[f"{TOP}/README.md"] == (ROOT / "tools/handout/README.md").read_bytes()
    assert all(n.startswith(TOP + "/") for n in members)


def test_tarball_has_no_instructor_material(members):
    names = [n.removeprefix(TOP + "/") for n in members]
    for n in names:
        assert not n.startswith(("solution/", "traces/hidden/", "notes/")), n
        assert "instructor" not in n.lower(), n
    # Not even renamed: no shipped file has the content of a solution or hidden-trace file.
    secret = {}
    for d in ["solution", "traces/hidden", "tests/allocators"]:
        for f in (ROOT / d).rglob("*") if (ROOT / d).is_dir() else []:
            if f.is_file():
                secret[sha(f.read_bytes())] = str(f.relative_to(ROOT))
    assert any(v.startswith("solution/") for v in secret.values()), "no solution/ to compare with"
    for n, data in members.items():
        assert sha(data) not in secret, f"{n} is a copy of {secret[sha(data)]}"


def clone_kit(dest: Path) -> Path:
    """A clone of the kit's committed tree (immune to edits in the working tree)."""
    run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(dest)], cwd=dest.parent, check=True)
    return dest


def test_tarball_is_reproducible(tmp_path):
    kit = clone_kit(tmp_path / "kit")
    one, two = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    run(["tools/make-handout.sh", str(one)], cwd=kit, check=True)
    (kit / "build").exists() and shutil.rmtree(kit / "build")
    run(["tools/make-handout.sh", str(two)], cwd=kit, check=True)
    assert one.read_bytes() == two.read_bytes()


def test_deny_check_refuses_instructor_files(tmp_path):
    """Even a committed instructor file under a shipped path stops the build."""
    kit = clone_kit(tmp_path / "kit")
    (kit / "grader" / "INSTRUCTOR-answers.md").write_text("the answers\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    run(git + ["add", "grader/INSTRUCTOR-answers.md"], cwd=kit, check=True)
    run(git + ["commit", "-q", "-m", "probe"], cwd=kit, check=True)
    p = run(["tools/make-handout.sh", str(tmp_path / "h.tar.gz")], cwd=kit)
    assert p.returncode != 0
    assert "instructor-only files in the handout: grader/INSTRUCTOR-answers.md" in p.stderr
    assert not (tmp_path / "h.tar.gz").exists()


# ---- the quick start, in an empty directory --------------------------------------

def quickstart_commands(readme: str) -> list[str]:
    """The two commands of the README's quick-start block, without the apt-get prefix
    (the packages are installed here; the test must not need root or the network)."""
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S)
    assert block, "no quick-start block in the student README"
    cmds = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert len(cmds) == 2, cmds
    return [re.sub(r"^sudo apt-get install -y [^&]*&&\s*", "", c) for c in cmds]


def test_quickstart_on_the_starter(student_tree):
    grade_cmd, test_cmd = quickstart_commands((student_tree / "README.md").read_text())
    assert grade_cmd == "make grade" and test_cmd == "make test"

    g = run(grade_cmd, cwd=student_tree)
    assert g.returncode == 0, g.stdout[-2000:] + g.stderr[-2000:]
    assert re.search(r"^Score: 0/100\b", g.stdout, re.M), g.stdout[-1500:]
    ntraces = len(list((student_tree / "traces").glob("*.rep")))
    assert f"{ntraces} of {ntraces} traces failed" in g.stdout
    assert g.stdout.count("returned NULL") >= ntraces, "every trace's reason is shown"

    t = run(test_cmd, cwd=student_tree)
    out = t.stdout + t.stderr
    assert t.returncode != 0, "the starter cannot pass the student tests"
    assert "Synthesis: Tested: 9 | Passing: 1 | Failing: 8 | Crashing: 0" in out, out[-2000:]
    assert "is it still the starter's stub?" in out
    assert (student_tree / "build/driver").is_file(), "make test builds build/driver too"


def test_quickstart_with_a_real_allocator(student_tree):
    """The same tree with the explicit-list allocator as my_alloc.c: tests pass, grade > 0."""
    shutil.copy(ROOT / "tests/allocators/explicit.c", student_tree / "my_alloc.c")
    t = run("make test", cwd=student_tree)
    assert t.returncode == 0, (t.stdout + t.stderr)[-3000:]
    assert "Synthesis: Tested: 9 | Passing: 9 | Failing: 0 | Crashing: 0" in t.stdout + t.stderr
    g = run(["python3", "-m", "grader", "my_alloc.c", "--no-timing", "-q", "--json", "r.json"],
            cwd=student_tree)
    assert g.returncode == 0, g.stderr[-2000:]
    r = json.loads((student_tree / "r.json").read_text())
    assert r["score"] > 20 and all(t["correct"] for t in r["traces"]), r["verdict"]


# ---- the student tests tell good allocators from broken ones ----------------------

def build_student_tests(alloc_src: Path, out: Path) -> Path:
    run(["make", "-s", "build/libdriver-nomain.a"], cwd=ROOT, check=True)
    exe = out / "test_alloc"
    run(["cc", "-std=c11", "-O1", "-g", "-D_GNU_SOURCE", f"-I{ROOT}/include", f"-I{ROOT}/grader/driver",
         str(ROOT / "tests/student/test_alloc.c"), str(alloc_src),
         str(ROOT / "build/libdriver-nomain.a"), "-lcriterion", "-o", str(exe)], cwd=out, check=True)
    return exe


def test_results(exe: Path) -> dict[str, str]:
    """{test name: 'passed' | 'failed'} from Criterion's JSON report."""
    report = exe.parent / "report.json"
    run([str(exe), "--jobs", "2", f"--json={report}"], cwd=exe.parent, timeout=300)
    doc = json.loads(report.read_text())
    return {t["name"]: ("passed" if t["status"] == "PASSED" else "failed")
            for s in doc["test_suites"] for t in s["tests"]}


test_results.__test__ = False   # a helper, not a test

ALL_TESTS = {"zero_size_and_null_free", "alignment_and_inside_heap", "no_overlap", "reuse_after_free",
             "coalescing_shows_in_heap_size", "realloc_keeps_content", "random_workload_with_checker",
             "my_init_resets_everything", "allocate_slab_contract"}


@pytest.mark.parametrize("alloc", ["tests/allocators/implicit.c", "tests/allocators/explicit.c",
                                   "tests/allocators/segregated.c", "solution/my_alloc.c"])
def test_correct_allocators_pass_every_student_test(alloc, tmp_path):
    results = test_results(build_student_tests(ROOT / alloc, tmp_path))
    assert set(results) == ALL_TESTS
    assert all(v == "passed" for v in results.values()), results


# One bug each, planted in a correct allocator by replacing one piece of text.
MUTANTS = {
    "no-coalescing": ("tests/allocators/explicit.c",
                      "    if (!block_allocated(next)) {\n        list_remove(next);",
                      "    if (0) {\n        list_remove(next);",
                      "    if (!block_allocated(prev)) {\n        list_remove(prev);",
                      "    if (0) {\n        list_remove(prev);",
                      {"coalescing_shows_in_heap_size"}),
    "free-does-nothing": ("tests/allocators/explicit.c",
                          "    set_block(ptr, block_size(ptr), 0);\n    coalesce(ptr);", "    (void)ptr;",
                          None, None, {"reuse_after_free", "coalescing_shows_in_heap_size"}),
    "misaligned": ("tests/allocators/implicit.c",
                   "    place(bp, asize);\n    return bp;", "    place(bp, asize);\n    return (char *)bp + 8;",
                   None, None, {"alignment_and_inside_heap"}),
    "split-overwrites-payload": ("tests/allocators/implicit.c",
                                 "        set_block(bp, asize, 1);\n        set_block(next_block(bp), have - asize, 0);",
                                 "        set_block(bp, asize - 16, 1);\n        set_block(next_block(bp), have - asize + 16, 0);",
                                 None, None, {"no_overlap"}),
    "realloc-loses-data": ("tests/allocators/segregated.c",
                           "    memcpy(q, ptr, have - 2 * WORD);", "    (void)have;",
                           None, None, {"realloc_keeps_content"}),
    # allocate_slab is part of the contract and tested by name: a student whose my_alloc
    # grows the heap by itself, leaving allocate_slab a stub, fails allocate_slab_contract.
    "slab-is-a-stub": ("tests/allocators/explicit.c",
                       "void *allocate_slab(size_t size)\n{\n",
                       "void *allocate_slab(size_t size)\n{\n    (void)size;\n    return NULL;\n}\n\n"
                       "static void *grow_heap(size_t size)\n{\n",
                       "if (allocate_slab(asize > CHUNK ? asize : CHUNK) == NULL)",
                       "if (grow_heap(asize > CHUNK ? asize : CHUNK) == NULL)",
                       {"allocate_slab_contract"}),
    "slab-too-small": ("tests/allocators/segregated.c",
                       "void *allocate_slab(size_t size)\n{\n    size = align_up(size);",
                       "void *allocate_slab(size_t size)\n{\n    size = align_up(size > 65536 ? 65536 : size);",
                       None, None, {"allocate_slab_contract"}),
    "slab-memory-not-free": ("tests/allocators/implicit.c",
                             "    set_block(bp, size, 0);\n    put_word(header_of(next_block(bp)), pack(0, 1));\n"
                             "    coalesce(bp);\n    return bp;",
                             "    set_block(bp, size, 1);\n    put_word(header_of(next_block(bp)), pack(0, 1));\n"
                             "    return bp;",
                             "        if (allocate_slab(asize > CHUNK ? asize : CHUNK) == NULL)\n            return NULL;\n"
                             "        bp = find_fit(asize);",
                             "        if ((bp = allocate_slab(asize > CHUNK ? asize : CHUNK)) == NULL)\n            return NULL;",
                             {"allocate_slab_contract"}),
    "init-keeps-lists": ("tests/allocators/segregated.c",
                         "    for (int c = 0; c < NUM_CLASSES; c++)\n        free_lists[c] = NULL;\n    return 0;",
                         "    return 0;", None, None, {"my_init_resets_everything"}),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_student_tests_catch_planted_bugs(name, tmp_path):
    base, old1, new1, old2, new2, must_fail = MUTANTS[name]
    src = (ROOT / base).read_text()
    for old, new in ((old1, new1), (old2, new2)):
        if old is not None:
            assert src.count(old) == 1, f"mutant {name}: text to replace not found once in {base}"
            src = src.replace(old, new)
    mutant = tmp_path / "mutant.c"
    mutant.write_text(src)
    results = test_results(build_student_tests(mutant, tmp_path))
    caught = {t for t, v in results.items() if v == "failed"}
    assert must_fail <= caught, f"{name}: expected {must_fail} to fail, failed: {caught}"


# ---- handout.md states the grading the config actually does --------------------------

def test_handout_grading_section_matches_the_config():
    import fnmatch
    import tomllib
    cfg = tomllib.loads((ROOT / "grader/config.toml").read_text())
    text = (ROOT / "handout.md").read_text()
    sc, wc = cfg["scoring"], cfg["scoring"]["wallclock"]
    assert sc["util_mode"] == "ceiling", "handout.md explains the 'ceiling' mode"
    assert cfg["max_score"] == 100
    need = [
        f"utilization part worth **{sc['util_weight']:g}**",
        f"throughput\n   part worth **{sc['speed_weight']:g}** points",
        f"linear(U / ceiling, **{sc['util_min']:.2f}**, **{sc['util_max']:.2f}**)",
        f"linear(ratio, **{wc['ratio_min']:.2f}**, **{wc['ratio_max']:.2f}**)",
        f"costs **{sc['correctness_penalty']:g} points** (`correctness_penalty`)",
        f"At most **{cfg['static']['max_global_data']} bytes**",
        f"each extra global symbol costs **{cfg['static']['penalties']['extra-symbol']:g} points**",
        f"**{cfg['traces']['timeout_s']:g}**-second timeout",
        f"compiled alone with `cc {' '.join(cfg['build']['cflags'])}`",
    ]
    for phrase in need:
        assert phrase in text, f"handout.md does not say: {phrase}"
    for pattern, w in cfg.get("trace_weights", {}).items():
        if "util_min" in w:
            row = f"| `{pattern}` | {w['util_min']:.2f} | {w['util_max']:.2f} |"
            assert row in text, f"handout.md lacks the row {row}"
    # The worked example counts the public traces that earn points.
    public = [Path(p).name for p in committed("traces/*.rep") if "/hidden/" not in p]
    scored = [t for t in public if not any(fnmatch.fnmatch(t, pat) and w.get("util") is False
                                           and w.get("speed") is False
                                           for pat, w in cfg.get("trace_weights", {}).items())]
    assert f"with {len(scored)} scored public traces" in text


def test_a_checker_failure_shows_the_checkers_own_words(tmp_path):
    """Item 9 of issue 12: the unit test said "run the driver with -V" instead of
    showing what the allocator's my_check_heap said with heap_report."""
    src = (ROOT / "tests/allocators/explicit.c").read_text()
    old = "    if (!block_allocated(next)) {\n        list_remove(next);"
    assert src.count(old) == 1
    mutant = tmp_path / "mutant.c"
    mutant.write_text(src.replace(old, "    if (0) {\n        list_remove(next);"))
    exe = build_student_tests(mutant, tmp_path)
    p = run([str(exe), "--filter", "alloc/random_workload_with_checker"], cwd=tmp_path)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert re.search(r"my_check_heap returned 1 after op \d+ of the random workload \((?:my_alloc|my_free|realloc)\): "
                     r"I3: free block 0x[0-9a-f]+ follows another free block", out), out[-2000:]
