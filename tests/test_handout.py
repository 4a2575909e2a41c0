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
    # ":(glob)": "*" stops at "/", so traces/*.rep is not traces/validation/*.rep
    return run(["git", "ls-files", "--", f":(glob){pattern}"], cwd=ROOT, check=True).stdout.split()


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
    assert "on the starter every my_alloc returns NULL" in out
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
    run(["make", "-s", "build/libhost-nomain.a"], cwd=ROOT, check=True)
    exe = out / "test_alloc"
    run(["cc", "-std=c11", "-O1", "-g", "-D_GNU_SOURCE", f"-I{ROOT}/include", f"-I{ROOT}/grader/driver",
         str(ROOT / "tests/student/test_alloc.c"), str(alloc_src),
         str(ROOT / "build/libhost-nomain.a"), "-lcriterion", "-o", str(exe)], cwd=out, check=True)
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


# ---- the worked example of handout.md §5, recomputed -----------------------------------

def test_worked_example_is_recomputed_from_the_config():
    """Item 2 of issue 12: the example used a span of 0.30 while config.toml said 0.50-0.76.
    Every number of the paragraph is recomputed here with the grader's own scoring code."""
    from grader import config as gconfig
    from grader import scoring
    from grader.model import TraceResult

    cfg = gconfig.load(ROOT / "grader/config.toml")
    text = " ".join((ROOT / "handout.md").read_text().split())
    m = re.search(r"Worked example, with (\d+) scored public traces of weight 1 .*?each trace is worth "
                  r"(\d+)/(\d+) = ([\d.]+) utilization points and (\d+)/(\d+) = ([\d.]+) throughput points\. "
                  r"A trace with ceiling (\d+)%, your U = ([\d.]+)% \(so U/ceiling = ([\d.]+), credit "
                  r"\(([\d.]+) − ([\d.]+)\)/([\d.]+) = ([\d.]+)\) and a ratio of ([\d.]+) \(credit "
                  r"\(([\d.]+) − ([\d.]+)\)/([\d.]+) = ([\d.]+)\) earns ([\d.]+) × ([\d.]+) \+ ([\d.]+) × "
                  r"([\d.]+) = ([\d.]+) of its ([\d.]+) points", text)
    assert m, "the worked example's sentence changed shape: update this test with it"
    (n, uw, n1, upt, sw, n2, spt, ceil, u, uc, uc_x, uc_lo, uc_span, ucred, ratio, r_x, r_lo, r_span,
     rcred, e_uc, e_upt, e_rc, e_spt, earned, worth) = m.groups()
    f2 = lambda x: f"{x:.2f}"                                  # noqa: E731
    assert int(n) == int(n1) == int(n2) and float(uw) == cfg.util_weight and float(sw) == cfg.speed_weight

    # the example trace among n scored traces, graded by scoring.score_traces
    ex = TraceResult(name="synth-example.rep", correct=True, util=float(u) / 100, ceiling=float(ceil) / 100,
                     ratio=float(ratio))
    others = [TraceResult(name=f"synth-{i}.rep", correct=True, util=0.5, ceiling=1.0, ratio=1.0)
              for i in range(int(n) - 1)]
    scoring.score_traces([ex] + others, cfg, "wallclock")
    th = cfg.thresholds("wallclock")
    lo, hi = cfg.util_thresholds(ex.name)
    assert f2(ex.util / ex.ceiling) == uc == uc_x
    assert (f2(lo), f2(hi - lo)) == (uc_lo, uc_span)
    assert (f2(th.ratio_min), f2(th.ratio_max - th.ratio_min)) == (r_lo, r_span) and r_x == ratio
    assert f2(ex.util_credit) == ucred == e_uc and f2(ex.speed_credit) == rcred == e_rc
    per_util, per_speed = ex.util_points / ex.util_credit, ex.speed_points / ex.speed_credit
    assert f2(per_util) == upt == e_upt and f2(per_speed) == spt == e_spt
    assert f2(ex.points) == earned and f2(ex.max_points) == worth


# ---- the tarball's docs are true to the tarball ------------------------------------------

DOCS = ["README.md", "handout.md", "traces/README.md", "Makefile", "grader/config.toml",
        "grader/checkpoints/checkpoint-1.toml", "grader/checkpoints/checkpoint-2.toml",
        "tests/student/test_alloc.c", "my_alloc.c", "include/my_alloc.h"]
# Names in the docs that are placeholders or things the student makes, not files of the tarball
# (traces/hidden: config.toml's hidden_dir, graded "when it exists" -- never in a tarball).
MADE_OR_PLACEHOLDER = re.compile(r"^traces/hidden$|^(build|report|dist|mytraces)/|[<>*]|(^|/)(T|FILE|DIR|OUT|IN|RAW|D|my|NAME)"
                                 r"(\.\w+)?$|^DIR/|\.min\.rep$|^my\.rep$|^path/")


def makefile_targets(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+):", text, re.M)} | \
        {t for m in re.finditer(r"^\.PHONY:(.*)$", text, re.M) for t in m.group(1).split()}


def test_tarball_docs_name_only_what_the_tarball_has(members):
    """Item 7 of issue 12: the tarball's traces/README.md documented make targets and files
    the tarball does not have, and config.toml pointed at README sections it lacks."""
    files = {n.removeprefix(TOP + "/") for n in members}
    dirs = {str(Path(f).parent) for f in files} | {p for f in files for p in
                                                   ["/".join(f.split("/")[:i]) for i in range(1, f.count("/") + 1)]}
    targets = makefile_targets(members[f"{TOP}/Makefile"].decode())
    assert {"all", "grade", "test", "recorder", "clean"} <= targets
    problems = []
    for doc in DOCS:
        text = members[f"{TOP}/{doc}"].decode()
        assert "kit-only" not in text, f"{doc}: a kit-only block reached the tarball"
        # commands: code spans and fenced blocks of Markdown; comment lines elsewhere
        code = (re.findall(r"`([^`\n]+)`", text) + re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
                if doc.endswith(".md") else
                [re.sub(r"^\s*(#|\*|//)?\s*", "", line) for line in text.splitlines()])
        code = [line for chunk in code for line in chunk.splitlines()]
        if not doc.endswith(".md"):   # comments: only a line that starts with a command
            code = [line for line in code if line.startswith("make ")]
        for chunk in code:
            # a command: `make` then single-space-separated words (several spaces start a
            # description column, as in the Makefile's own header comment)
            for m in re.finditer(r"(?:^|[\s&;(])make((?: [\w.=/'-]+)*)", chunk):
                for word in m.group(1).split():
                    if "=" in word or word.startswith("-"):
                        continue
                    if not re.fullmatch(r"[a-z][\w-]*", word) or word in ("the", "a", "it"):
                        break
                    if word not in targets:
                        problems.append(f"{doc}: `make {word}`: no such target in the tarball's Makefile")
        for m in re.finditer(r"(?<![\w/.-])((?:\.github|grader|traces|tests|include|tools|docs|starter|"
                             r"solution|build|report)/[\w./<>*-]*[\w>*])", text):
            path = m.group(1).rstrip(".")
            if MADE_OR_PLACEHOLDER.search(path):
                continue
            if path not in files and path.rstrip("/") not in dirs:
                problems.append(f"{doc}: names {path}, which the tarball does not have")
        for m in re.finditer(r"(\S*)\s+README(?:\.md)?(?:,? section)? \"([^\"]+)\"", text):
            if "kit" not in m.group(1) and "kit" not in text[max(0, m.start() - 40):m.start()]:
                problems.append(f"{doc}: refers to README section \"{m.group(2)}\" (the student README has none)")
    assert problems == [], "\n".join(problems)


def test_tarball_python_tools_are_executable(tarball, student_tree):
    with tarfile.open(tarball) as tf:
        for m in tf.getmembers():
            if m.isfile() and m.name.endswith(".py") and tf.extractfile(m).read(2) == b"#!":
                assert m.mode & 0o111 == 0o111, f"{m.name} has a #! line but no run bits ({m.mode:o})"
    p = run(["traces/gen.py", "--list"], cwd=student_tree)
    assert p.returncode == 0 and "binary" in p.stdout, p.stderr


def test_grader_without_argument_grades_my_alloc_c(student_tree, tmp_path):
    """Item 7: `python3 -m grader` with no file looked for starter/my_alloc.c, which the tarball lacks."""
    p = run(["python3", "-m", "grader", "--no-timing", "-q", "-f", "traces/short-01-one-block.rep",
             "--workdir", str(tmp_path / "w"), "--json", str(tmp_path / "r.json")], cwd=student_tree)
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["submission"].endswith("my_alloc.c")
    assert "starter" not in json.loads((tmp_path / "r.json").read_text())["submission"]


# ---- checkpoint configs ------------------------------------------------------------------

def test_checkpoint_configs_keep_the_final_rules():
    """A checkpoint grades a subset with the final build and static rules: its [build] and
    [static] sections are the main config's, verbatim."""
    import tomllib
    main = tomllib.loads((ROOT / "grader/config.toml").read_text())
    for c in sorted((ROOT / "grader/checkpoints").glob("*.toml")):
        cfg = tomllib.loads(c.read_text())
        assert cfg["build"] == main["build"] and cfg["static"] == main["static"], c.name
        p = run(["python3", "-m", "grader", "--config", str(c), "--check-config"], cwd=ROOT)
        assert p.returncode == 0, p.stdout + p.stderr


def test_checkpoint_1_counts_only_its_subset(tmp_path):
    """checkpoint-1: correctness of short-* and utilization of four synth traces; the rest weigh 0."""
    import tomllib
    cfg_path = ROOT / "grader/checkpoints/checkpoint-1.toml"
    cfg = tomllib.loads(cfg_path.read_text())
    counted = {k for k, v in cfg["trace_weights"].items() if v.get("weight", 0) > 0}
    # explicit.c passes every trace: only the counted ones earn points, and they earn all 100
    traces = ["short-01-one-block.rep", "synth-random.rep", "synth-coalesce.rep", "synth-fifo.rep",
              "synth-tiny.rep", "synth-binary.rep", "real-perl.rep"]
    r = tmp_path / "r.json"
    p = run(["python3", "-m", "grader", str(ROOT / "tests/allocators/explicit.c"), "--config", str(cfg_path),
             "-q", "--workdir", str(tmp_path / "w"), "--json", str(r)]
            + [a for t in traces for a in ("-f", str(ROOT / "traces" / t))], cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(r.read_text())
    pts = {t["name"]: t["points"] for t in doc["traces"]}
    assert all(pts[t] == 0 for t in traces if t not in counted)
    assert all(pts[t] > 0 for t in traces if t in counted)
    assert doc["speed_max"] == 0 and doc["util_max"] == 100


# ---- every command the handout and the student README print, run from the tarball -------

COMMAND_START = re.compile(r"^(make\b|build/\S+ |python3 |traces/\S+ |valgrind |gdb |sudo )")


def printed_commands(tree: Path) -> list[tuple[str, str]]:
    """(document, command) for every command in a code span or code block of the tarball's
    handout.md and README.md, in document order, each once."""
    seen, out = set(), []
    for doc in ("README.md", "handout.md"):
        text = (tree / doc).read_text()
        chunks = [(m.start(), m.group(1)) for m in re.finditer(r"```[a-z]*\n(.*?)```", text, re.S)]
        fenced = [(a, a + len(c) + 8) for a, c in chunks]
        spans = [(m.start(), m.group(1)) for m in re.finditer(r"`([^`\n]+)`", text)
                 if not any(a <= m.start() < b for a, b in fenced)]
        for _, chunk in sorted(chunks + spans):
            for line in chunk.splitlines():
                cmd = line.split("  #")[0].strip()
                if not COMMAND_START.match(cmd) and cmd != "make":
                    continue
                cmd = re.sub(r"^sudo apt-get install -y [^&]*&&\s*", "", cmd)
                if cmd not in seen or cmd in ("make", "make test"):   # builds may be needed again
                    seen.add(cmd)
                    out.append((doc, cmd))
    return out


def _gdb_batch(cmd: str) -> str:
    """The printed `gdb --args PROGRAM ...`, non-interactive: run, backtrace, continue to the end."""
    assert cmd.startswith("gdb --args ")
    return "gdb -q -batch -ex run -ex bt -ex continue --args " + cmd[len("gdb --args "):]


def _run_gdbserver_pair(tree: Path, server: str, client: str) -> str:
    """The two-terminal Criterion + gdbserver recipe: the test binary waits for gdb, gdb
    connects, continues to the end."""
    srv = subprocess.Popen(server, cwd=tree, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, stdin=subprocess.DEVNULL)
    try:
        head = []                     # wait for gdbserver to listen (a loaded machine is slow)
        for line in srv.stdout:
            head.append(line)
            if "Listening on port" in line:
                break
        assert any("Listening on port 1234" in line for line in head), "".join(head)
        c = run(client.replace("gdb ", "gdb -q -batch ", 1) + " -ex continue", cwd=tree, timeout=120)
        out, _ = srv.communicate(timeout=120)
        out = "".join(head) + out
    finally:
        if srv.poll() is None:
            srv.kill()
    assert srv.returncode == 0 and c.returncode == 0, (c.stdout + c.stderr + out)[-3000:]
    assert "exited normally" in c.stdout + c.stderr, (c.stdout + c.stderr)[-2000:]
    return out


def test_every_printed_command_runs_in_the_tarball(tarball, tmp_path):
    """Must-show of issue 12: from the tarball in an empty directory, every command that
    handout.md and README.md print, exactly as printed, on a correct allocator."""
    with tarfile.open(tarball) as tf:
        tf.extractall(tmp_path)
    tree = tmp_path / TOP
    shutil.copy(ROOT / "tests/allocators/explicit.c", tree / "my_alloc.c")
    cmds = printed_commands(tree)
    names = [c for _, c in cmds]
    for must in ["make", "make grade", "make test", "build/driver -V -f traces/short-05-coalesce.rep",
                 "valgrind --suppressions=grader/driver/static-libc.supp build/allocator --debug -f traces/short-05-coalesce.rep",
                 "gdb --args build/allocator --debug --break-at 3 -f traces/short-05-coalesce.rep",
                 "make recorder", "traces/gen.py --pattern binary --seed 5 --ops 2000 -o my.rep"]:
        assert must in names, f"the handout no longer prints {must!r}: update this test"

    ran = []
    built = False                     # `make` ran and built the allocator host
    gdbserver_cmd = next(c for c in names if c.endswith("--debug=gdb"))
    for doc, cmd in cmds:
        if cmd == gdbserver_cmd:
            continue                  # run with its gdb client, below
        if cmd.startswith("gdb build/tests/test_alloc"):
            _run_gdbserver_pair(tree, gdbserver_cmd, cmd)
            ran.append(gdbserver_cmd)
            ran.append(cmd)
            continue
        if "build/grade/reproducers/" in cmd:
            _reproducer_command(tree, cmd)
            ran.append(cmd)
            continue
        shell = _gdb_batch(cmd) if cmd.startswith("gdb --args ") else cmd
        p = run(shell, cwd=tree, timeout=900)
        out = p.stdout + p.stderr
        if cmd == "make":
            assert (tree / "build/allocator").is_file() and (tree / "build/driver").is_file(), out[-2000:]
            built = True
        assert p.returncode == 0, f"{doc}: `{cmd}` failed ({p.returncode}):\n{out[-3000:]}"
        for bad in ("unknown option", "unrecognized option", "No such file", "Traceback"):
            assert bad not in out, f"{doc}: `{cmd}` printed {bad!r}:\n{out[-3000:]}"
        # a usage message starts a line (valgrind's "total heap usage:" is not one)
        if not cmd.endswith("--help"):
            assert not re.search(r"(?im)^usage:", out), f"{doc}: `{cmd}` printed a usage message:\n{out[-3000:]}"
        if cmd.startswith("valgrind "):
            assert "ERROR SUMMARY: 0 errors" in out, out[-2000:]
        if cmd.startswith("gdb --args "):
            assert "exited normally" in out, out[-2000:]
        if "--html report" in cmd:
            assert (tree / "report/index.html").is_file()
        ran.append(cmd)
    print("\nran:", *ran, sep="\n  ")
    assert built, "`make` was not among the printed commands"
    assert len(ran) >= len(names)


def _reproducer_command(tree: Path, cmd: str) -> None:
    """The printed replay of a reproducer: make a real one first (a planted bug, graded the way
    the handout says), check the grader printed that very path, replay it as printed."""
    pattern = re.search(r"(build/grade/reproducers/\S+\.min\.rep)", cmd).group(1)
    trace = "traces/" + Path(pattern).name.replace(".min.rep", ".rep")
    good = (tree / "my_alloc.c").read_text()
    src = (ROOT / "tests/allocators/explicit.c").read_text()
    old = "    if (!block_allocated(next)) {\n        list_remove(next);"
    assert src.count(old) == 1
    try:
        (tree / "my_alloc.c").write_text(src.replace(old, "    if (!block_allocated(next)) {"))
        g = run(["python3", "-m", "grader", "--no-timing", "-f", trace], cwd=tree, timeout=600)
        printed = re.search(r"reproducer: (\S+)", g.stdout)
        assert printed, g.stdout[-2000:]
        assert [str(p) for p in tree.glob(pattern)] == [printed.group(1)], "the printed glob finds it"
        run("make", cwd=tree, check=True)
        p = run(cmd, cwd=tree)
        assert p.returncode != 0 and "FAIL" in p.stdout + p.stderr, (p.stdout + p.stderr)[-2000:]
    finally:
        (tree / "my_alloc.c").write_text(good)
        run("make", cwd=tree, check=True)


# ---- what the handout says about grading runs, checked on the grader ----------------------

def test_no_timing_rescales_utilization_as_the_handout_says(student_tree, tmp_path):
    """Item 6 of issue 12: --no-timing silently gave utilization all 100 points; the handout
    now says so, quoting the grader's note -- which must stay what the grader prints."""
    text = " ".join((ROOT / "handout.md").read_text().split())
    note = re.search(r"says so under the table \(`([^`]+)`\)", text).group(1)
    shutil.copy(ROOT / "tests/allocators/explicit.c", tmp_path / "my_alloc.c")
    r = tmp_path / "r.json"
    p = run(["python3", "-m", "grader", str(tmp_path / "my_alloc.c"), "--no-timing", "--workdir",
             str(tmp_path / "w"), "--json", str(r), "-f", "traces/synth-random.rep"], cwd=student_tree)
    assert p.returncode == 0, p.stderr[-2000:]
    assert note in p.stdout, p.stdout[-1500:]
    doc = json.loads(r.read_text())
    assert doc["util_max"] == doc["max_score"] == 100 and doc["speed_max"] == 0
    assert "utilization is then worth the whole 100 points" in text


def test_power_of_two_heads_and_the_cap(tmp_path):
    """Item 8 of issue 12: 'one list per power-of-two class' collides with the 128-byte cap.
    The handout's numbers: 26 pointer heads are over the cap (score 0), 12 fit."""
    text = " ".join((ROOT / "handout.md").read_text().split())
    assert "is 26 list heads: 208 bytes of pointers, over the 128-byte cap" in text
    assert "is 12 heads (96 bytes)" in text
    src = (ROOT / "tests/allocators/segregated.c").read_text()
    old = "#define NUM_CLASSES 12 "
    assert src.count(old) == 1
    results = {}
    for n in (12, 26):
        f = tmp_path / f"seg{n}.c"
        f.write_text(src.replace(old, f"#define NUM_CLASSES {n} "))
        r = tmp_path / f"r{n}.json"
        p = run(["python3", "-m", "grader", str(f), "--no-timing", "-q", "--workdir", str(tmp_path / f"w{n}"),
                 "--json", str(r), "-f", str(ROOT / "traces/short-01-one-block.rep")], cwd=ROOT)
        assert p.returncode == 0, p.stderr[-2000:]
        results[n] = json.loads(r.read_text())
    rules = lambda d: {v["rule"] for v in d["static"]["violations"]}   # noqa: E731
    assert "global-data" not in rules(results[12])
    assert "global-data" in rules(results[26]) and results[26]["score"] == 0
