"""End-to-end tests of the driver: every check catches a deliberately wrong
allocator (tests/driver/wrong_alloc.c) with the exact diagnosis, and a failing
trace never stops the others."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from grader import link  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"

BASIC = """# two blocks, freed in order
20000
2
4
1
a 0 32
a 1 16
f 0
f 1
"""
REALLOC = "a 0 32\nr 0 64\nf 0\n"
ZERO = "a 0 16\na 1 0\nf 0\nf 1\n"


@pytest.fixture(scope="session")
def libdriver():
    subprocess.run(["make", "-s", "kit"], cwd=ROOT, check=True)
    return BUILD / "libhost.a"


@pytest.fixture(scope="session")
def driver_for(libdriver, tmp_path_factory):
    """driver_for("MISALIGNED") -> a driver linked with that wrong allocator."""
    out = tmp_path_factory.mktemp("drivers")
    built = {}

    def build(wrong):
        if wrong not in built:
            obj, exe = out / f"{wrong}.o", out / f"driver-{wrong}"
            defines = [f"-D{wrong}" if wrong.startswith("WITHOUT") else f"-DWRONG_{wrong}"] if wrong else []
            subprocess.run(["cc", "-std=c11", "-O1", "-I", str(ROOT / "include"), *defines,
                            "-c", str(ROOT / "tests/driver/wrong_alloc.c"), "-o", str(obj)], check=True)
            link.link_allocator(str(obj), str(out / f"allocator-{wrong}"), host_lib=libdriver)
            link.write_driver_script(exe, out / f"allocator-{wrong}")
            built[wrong] = exe
        return built[wrong]
    return build


@pytest.fixture
def traces(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write


def run(exe, *args, timeout=60):
    proc = subprocess.run([str(exe), "--json", "--no-timing", *args], capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, json.loads(proc.stdout)


# (wrong, trace, extra args, kind, op, line, words the message must contain)
CASES = [
    ("MISALIGNED", BASIC, [], "alignment", 1, 7,
     "my_alloc(16) for id 1 returned heap+0x28, which is not 16-byte aligned (address % 16 = 8)"),
    ("OUTSIDE", BASIC, [], "outside-heap", 1, 7,
     "my_alloc(16) for id 1 returned [heap+0x10020, +16), which is not inside the heap [heap+0, heap+0x30)"),
    ("OVERLAP", BASIC, [], "overlap", 1, 7,
     "my_alloc(16) for id 1 returned [heap+0x10, +16), which overlaps the live payload of id 0 "
     "[heap+0, +32) allocated at line 6"),
    ("CORRUPT", BASIC, [], "corrupted", 1, 7,
     "the payload of id 0 [heap+0, +32), allocated at line 6, was overwritten at byte 31 during this "
     "operation: expected 0x78, found 0x5a; the driver only noticed at op 2 (line 8)"),
    ("CORRUPT", "a 0 32\na 1 16\n", [], "corrupted", 1, 2,
     "the payload of id 0 [heap+0, +32), allocated at line 1, was overwritten at byte 31 before "
     "the end of the trace: expected 0x78, found 0x5a"),
    ("SLACK", BASIC, [], "past-break", 1, 7,
     "the allocator wrote at heap+0x48, 24 bytes past the break (the heap is 48 bytes)"),
    ("FAULT", BASIC, [], "signal", 1, 7,
     "SIGSEGV at address heap+0x2048, 8216 bytes past the break (the heap is 48 bytes), "
     "during op 1 (line 7: a 1 16)"),
    ("NULL_DEREF", BASIC, [], "signal", 1, 7, "a NULL pointer dereference"),
    ("NULL", BASIC, [], "null", 1, 7, "my_alloc(16) for id 1 returned NULL, but the heap is only 48 bytes"),
    ("ZERO", ZERO, [], "not-null", 1, 2, "my_alloc(0) returned heap+0x10; it must return NULL for size 0"),
    ("REALLOC", REALLOC, [], "realloc-data", 1, 2,
     "realloc of id 0 from 32 to 64 bytes (heap+0x20) did not keep its contents: byte 16"),
    ("NO_RESET", BASIC, [], "reset", 0, 6,
     "the second replay returned heap+0x10 where the first returned heap+0"),
    ("EXIT", BASIC, [], "exit", 1, 7, "the allocator ended the process with exit(3) during op 1 (line 7: a 1 16)"),
    ("ABORT", BASIC, [], "signal", 1, 7, "SIGABRT: the allocator called abort()"),
    ("HANG", BASIC, ["-T", "1"], "timeout", 1, 7, "no result after 1 s: still in op 1 (line 7: a 1 16)"),
    ("CHECKER", BASIC, ["-c"], "checker", 1, 7,
     "my_check_heap: I1: block at heap+0x10 has a bad header (planted by the test)"),
]


@pytest.mark.parametrize("wrong,text,args,kind,op,line,words", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_catches_its_bug(driver_for, traces, wrong, text, args, kind, op, line, words):
    status, doc = run(driver_for(wrong), "-f", traces("t.rep", text), *args)
    assert status == 1
    (trace,) = doc["traces"]
    assert trace["correct"] is False
    err = trace["error"]
    assert (err["kind"], err["op"], err["line"]) == (kind, op, line), err
    assert words in err["message"]
    assert trace["util"] is None


def test_correct_allocator_passes_and_is_measured(driver_for, traces):
    status, doc = run(driver_for(""), "-f", traces("t.rep", BASIC), "-f", traces("r.rep", REALLOC), "-c")
    assert status == 0
    basic, realloc = doc["traces"]
    assert basic["correct"] and basic["error"] is None
    assert basic["ops"] == 4 and basic["peak_payload"] == 48 and basic["heap_size"] == 48
    assert basic["util"] == 1.0 and basic["ceiling"] == 1.0
    assert realloc["peak_payload"] == 64 and realloc["heap_size"] == 96
    assert realloc["util"] == pytest.approx(64 / 96, rel=1e-5)
    assert doc["totals"] == {"traces": 2, "correct": 2, "ops": 7, "util_mean": pytest.approx((1 + 64 / 96) / 2, rel=1e-5),
                             "ratio_median": None}


def test_large_sizes_are_exact_in_json(driver_for, traces):
    # %g once printed 1056784 as 1.05678e+06
    status, doc = run(driver_for(""), "-f", traces("big.rep", "a 0 1056777\nf 0\n"))
    (trace,) = doc["traces"]
    assert trace["heap_size"] == 1056784 and isinstance(trace["heap_size"], int)
    assert trace["util"] == 1056777 / 1056784


def test_optional_functions_fall_back(driver_for, traces):
    # no my_realloc: alloc + copy + free keeps the data; no my_check_heap: -c is harmless
    status, doc = run(driver_for("WITHOUT_OPTIONAL"), "-c", "-f", traces("r.rep", REALLOC))
    assert status == 0
    (trace,) = doc["traces"]
    assert trace["correct"] and trace["heap_size"] == 96


def test_check_every_n_ops(driver_for, traces):
    # The planted bug shows from op 1 on; checking after every 3rd op finds it at op 2, the first check.
    status, doc = run(driver_for("CHECKER"), "--check-every", "3", "-f", traces("t.rep", BASIC))
    err = doc["traces"][0]["error"]
    assert (err["kind"], err["op"], err["line"]) == ("checker", 2, 8)
    # The last op is always checked, however large N is.
    status, doc = run(driver_for("CHECKER"), "--check-every", "1000", "-f", traces("t.rep", BASIC))
    assert doc["traces"][0]["error"]["op"] == 3


def test_an_empty_trace_replays_and_times(driver_for, traces):
    # the timed loop once did pointer arithmetic on the NULL ops of an empty trace (UBSan, fuzzing)
    proc = subprocess.run([str(driver_for("")), "--json", "--samples", "1", "-f", traces("e.rep", "# nothing\n")],
                          capture_output=True, text=True, timeout=60)
    (trace,) = json.loads(proc.stdout)["traces"]
    assert proc.returncode == 0 and trace["correct"] and trace["ops"] == 0
    assert trace["samples"] == 0 and trace["ratio"] is None   # nothing to time (once a false "tamper")


def test_checker_runs_only_when_asked(driver_for, traces):
    status, doc = run(driver_for("CHECKER"), "-f", traces("t.rep", BASIC))
    assert status == 0 and doc["traces"][0]["correct"]


def test_a_failing_trace_does_not_stop_the_others(driver_for, traces):
    bad = traces("bad.rep", "a 0 8\nf 1\n")
    good = traces("good.rep", BASIC)
    status, doc = run(driver_for("FAULT"), "-f", bad, "-f", good, "-f", traces("z.rep", ZERO))
    assert status == 1
    bad_r, crash_r, zero_r = doc["traces"]
    assert bad_r["error"] == {"kind": "trace", "op": None, "line": None,
                              "message": f"{bad}:2: free of id 1, which was never allocated"}
    assert crash_r["error"]["kind"] == "signal"
    assert zero_r["correct"], "the trace after a crash is replayed in a fresh process"


def test_timing_is_measured_against_libc_in_the_same_run(driver_for, traces):
    proc = subprocess.run([str(driver_for("")), "--json", "--samples", "3", "-f", traces("t.rep", BASIC)],
                          capture_output=True, text=True, timeout=60)
    (trace,) = json.loads(proc.stdout)["traces"]
    assert 3 <= trace["samples"] <= 9     # a trace this short gets up to 3x the pairs
    for key in ("ops_per_sec", "libc_ops_per_sec", "ratio"):
        assert trace[key_min := f"{key}_min"] <= trace[key] <= trace[f"{key}_max"], key_min
        assert trace[key] > 0
    assert trace["checked_ops_per_sec"] > 0


def test_libc_mode_replays_classic_traces(driver_for, traces):
    status, doc = run(driver_for(""), "-l", "-f", traces("t.rep", BASIC))
    assert status == 0
    assert doc["allocator"] == "libc"
    assert doc["traces"][0]["correct"] and doc["traces"][0]["util"] is None


def test_trace_directory_is_read_in_name_order(driver_for, tmp_path):
    for name in ("b.rep", "a.rep", "notes.txt"):
        (tmp_path / name).write_text(BASIC)
    status, doc = run(driver_for(""), "-t", str(tmp_path))
    assert [t["name"] for t in doc["traces"]] == ["a.rep", "b.rep"]


def test_allocator_output_is_captured(driver_for, traces, tmp_path):
    src = tmp_path / "chatty.c"
    src.write_text((ROOT / "tests/driver/wrong_alloc.c").read_text().replace(
        "void my_free(void *ptr)\n{", 'int printf(const char *, ...);\nvoid my_free(void *ptr)\n{\n    printf("free %p\\n", ptr);'))
    obj, exe = tmp_path / "chatty.o", tmp_path / "chatty"
    subprocess.run(["cc", "-std=c11", "-I", str(ROOT / "include"), "-c", str(src), "-o", str(obj)], check=True)
    link.link_allocator(str(obj), str(tmp_path / "chatty-allocator"), host_lib=BUILD / "libhost.a")
    link.write_driver_script(exe, tmp_path / "chatty-allocator")
    status, doc = run(exe, "-f", traces("t.rep", BASIC))
    assert status == 0
    assert doc["traces"][0]["output"].count("free 0x") == 4  # two frees, two replays


def test_usage_errors(driver_for, tmp_path):
    exe = str(driver_for(""))
    for args, words in ([[], "no traces"], [["-T", "abc", "-f", "x"], "-T wants a number"],
                        [["-t", str(tmp_path / "missing")], "cannot open directory"],
                        [["stray"], "unexpected argument 'stray'"],
                        [["--check-every", "0", "-f", "x"], "--check-every wants a whole number"]):
        proc = subprocess.run([exe, *args], capture_output=True, text=True)
        assert proc.returncode == 2
        assert words in proc.stderr


def test_lint_prints_statistics(driver_for, traces):
    proc = subprocess.run([str(driver_for("")), "--lint", "-f", traces("t.rep", BASIC)],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert "requests    4 (a 2, f 2, r 0), ids 2" in proc.stdout
    assert "peak live   48 bytes (after op 1)" in proc.stdout
    assert "ceiling     100.0%" in proc.stdout


def test_heapdump_series_and_maps(driver_for, traces):
    status, doc = run(driver_for(""), "--heapdump", "-f", traces("t.rep", BASIC))
    (trace,) = doc["traces"]
    assert trace["peak_op"] == 1
    assert trace["series"] == {"op": [0, 1, 2, 3], "payload": [32, 48, 16, 0], "heap": [32, 48, 48, 48]}
    peak, end = trace["heapmaps"]
    assert peak["when"] == "peak" and peak["walk"] is False
    assert sorted(peak["blocks"]) == [[0, 32, 0, 32, 0], [32, 16, 32, 16, 0]]
    assert end["blocks"] == []
