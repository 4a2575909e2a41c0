"""The trace tools: generator, converters, the public set and its documentation."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT / "traces"
sys.path.insert(0, str(TRACES))
import gen  # noqa: E402
import tracekit  # noqa: E402

DRIVER = ROOT / "build" / "driver-solution"


def run(*args, **kw):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def driver():
    if not DRIVER.exists():
        subprocess.run(["make", "-s", "-C", str(ROOT), "all"], check=True)
    return DRIVER


def lint(driver, *paths):
    args = [str(driver), "--lint"]
    for p in paths:
        args += ["-f", str(p)]
    return subprocess.run(args, capture_output=True, text=True)


# ---- generator ----------------------------------------------------------------------

@pytest.mark.parametrize("pattern", sorted(gen.PATTERNS))
def test_generator_is_deterministic_and_valid(pattern, tmp_path, driver):
    a = run(TRACES / "gen.py", "--pattern", pattern, "--seed", 11, "--ops", 3000)
    b = run(TRACES / "gen.py", "--pattern", pattern, "--seed", 11, "--ops", 3000)
    c = run(TRACES / "gen.py", "--pattern", pattern, "--seed", 12, "--ops", 3000)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout
    path = tmp_path / "t.rep"
    path.write_text(a.stdout)
    res = lint(driver, path)
    assert res.returncode == 0, res.stdout + res.stderr
    ops = tracekit.read_kit(str(path))
    assert 2900 <= len(ops) <= 3000
    live = set()
    for kind, ident, _ in ops:
        (live.discard if kind == "f" else live.add)(ident)
    assert not live, "every trace ends with an empty heap"


def test_committed_synthetic_traces_are_what_the_generator_makes(tmp_path):
    res = run(TRACES / "gen.py", "--public", tmp_path)
    assert res.returncode == 0, res.stderr
    made = sorted(p.name for p in tmp_path.glob("*.rep"))
    assert made == sorted(p.name for p in TRACES.glob("synth-*.rep"))
    for name in made:
        assert (tmp_path / name).read_text() == (TRACES / name).read_text(), name


def test_hidden_set_differs_from_public_and_from_other_seeds(tmp_path, driver):
    # Into a temporary directory: `make test` must never overwrite a TA's traces/hidden/.
    res = subprocess.run(["make", "-s", "-C", str(ROOT), "hidden-traces", "SEED=4242",
                          f"HIDDEN_DIR={tmp_path / 'hidden'}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    hidden = sorted((tmp_path / "hidden").glob("hidden-*.rep"))
    assert len(hidden) == len(gen.PUBLIC)
    assert lint(driver, *hidden).returncode == 0
    run(TRACES / "gen.py", "--hidden", tmp_path / "other", "--seed", 4243)
    for h in hidden:
        pattern = h.name[len("hidden-"):]
        public_ops = tracekit.read_kit(str(TRACES / f"synth-{pattern}"))
        assert tracekit.read_kit(str(h)) != public_ops
        assert h.read_text() != (tmp_path / "other" / h.name).read_text()
    # the directory is ignored by git: it never reaches a commit or the handout
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", f"traces/hidden/{hidden[0].name}"])
    assert ignored.returncode == 0
    no_seed = subprocess.run(["make", "-s", "-C", str(ROOT), "hidden-traces"], capture_output=True, text=True)
    assert no_seed.returncode != 0 and "SEED" in no_seed.stdout + no_seed.stderr


def test_generator_rejects_bad_arguments():
    assert run(TRACES / "gen.py", "--pattern", "nope", "--seed", 1).returncode == 2
    res = run(TRACES / "gen.py", "--pattern", "random", "--seed", 1, "--ops", 1)
    assert res.returncode == 2 and "at least 2" in res.stderr
    assert "random" in run(TRACES / "gen.py", "--list").stdout


# ---- converters -----------------------------------------------------------------------

CS107 = """# a CS107 script: ids are reused after a free
a 0 24
a 1 100
r 0 48
f 1
a 1 8     # id 1 again: a new block
r 2 16    # realloc of an unused id allocates
r 0 0     # realloc to 0 frees
f 1
f 2
"""

SIZE_FIRST = """20000
3
6
1
a 24 0
a 100 1
r 48 0
f 1
f 0
a 8 2
"""


def test_cs107_conversion(tmp_path, driver):
    src = tmp_path / "s.script"
    src.write_text(CS107)
    out = tmp_path / "s.rep"
    res = run(TRACES / "convert.py", "cs107", src, "-o", out)
    assert res.returncode == 0, res.stderr
    assert tracekit.read_kit(str(out)) == [
        ("a", 0, 24), ("a", 1, 100), ("r", 0, 48), ("f", 1, 0), ("a", 2, 8), ("a", 3, 16),
        ("f", 0, 0), ("f", 2, 0), ("f", 3, 0)]
    assert lint(driver, out).returncode == 0


def test_size_first_conversion(tmp_path, driver):
    src = tmp_path / "s.trace"
    src.write_text(SIZE_FIRST)
    out = tmp_path / "s.rep"
    res = run(TRACES / "convert.py", "size-first", src, "-o", out)
    assert res.returncode == 0, res.stderr
    assert tracekit.read_kit(str(out)) == [
        ("a", 0, 24), ("a", 1, 100), ("r", 0, 48), ("f", 1, 0), ("f", 0, 0), ("a", 2, 8)]
    assert lint(driver, out).returncode == 0


@pytest.mark.parametrize("fmt,text,message", [
    ("cs107", "a 0 24\nf 1\n", "s:2: free of id 1, which is not live"),
    ("cs107", "a 0 24\na 0 8\n", "s:2: id 0 is already live"),
    ("cs107", "a 0\n", "s:1: 'a' takes 2 numbers, found 1"),
    ("cs107", "a 0 -5\n", "s:1: expected size, found '-5'"),
    ("cs107", "x 0 5\n", "s:1: unknown operation 'x'"),
    ("cs107", "a 0 2000000000\n", "s:1: size 2000000000 exceeds the limit"),
    ("size-first", "a 24 zero\n", "s:1: expected id, found 'zero'"),
])
def test_converters_reject_bad_input_with_file_and_line(tmp_path, fmt, text, message):
    src = tmp_path / "s"
    src.write_text(text)
    res = run(TRACES / "convert.py", fmt, src, "-o", tmp_path / "out.rep", cwd=tmp_path)
    assert res.returncode == 2
    assert message in res.stderr.replace(str(tmp_path) + "/", "")
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out.rep").exists()


def test_convert_of_a_non_log_is_a_clear_error(tmp_path):
    src = tmp_path / "rec.1.0"
    src.write_text("hello")
    res = run(TRACES / "convert.py", "recording", src, "-o", tmp_path / "o.rep")
    assert res.returncode == 2 and "not a recorder log" in res.stderr


# ---- the public set -------------------------------------------------------------------

def public_traces():
    return sorted(TRACES.glob("*.rep"))


def test_public_set_is_valid_and_of_the_promised_shape(driver):
    names = [p.name for p in public_traces()]
    real = [n for n in names if n.startswith("real-")]
    synth = [n for n in names if n.startswith("synth-")]
    short = [n for n in names if n.startswith("short-")]
    assert len(real) >= 8 and len(synth) >= 8 and len(short) >= 3
    assert len(names) == len(real) + len(synth) + len(short)
    res = lint(driver, *public_traces())
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    for p in public_traces():
        n = len(tracekit.read_kit(str(p)))
        if p.name.startswith("short-"):
            assert n < 20, p.name
        elif p.name.startswith("real-"):
            assert 2000 <= n <= 400000, p.name
    assert sum(p.stat().st_size for p in public_traces()) < 25 << 20


def test_readme_table_describes_every_public_trace():
    readme = (TRACES / "README.md").read_text()
    listed = set(re.findall(r"^\| `([\w.-]+\.rep)` \|", readme, re.M))
    assert listed == {p.name for p in public_traces()}
