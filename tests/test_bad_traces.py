"""Malformed traces (tests/bad-traces/*.rep): each is rejected with the exact
"file:line: reason", by the driver's JSON and by --lint, and a bad trace in a
run costs only itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "buggy"))
import harness  # noqa: E402

BAD = harness.REPO / "tests" / "bad-traces"
EXPECTED = {
    "alloc-live-id": "2: id 0 is already live (allocated at line 1)",
    "binary-byte": "2: unexpected byte 0x7f (binary data?)",
    "double-free": "3: free of id 0, which was already freed at line 2",
    "free-never-allocated": "2: free of id 1, which was never allocated",
    "header-id-out-of-range": "6: id 1 out of range: the header declares 1 ids",
    "header-three-numbers": "4: header has 3 numbers, expected 4 (heap size or weight, ids, ops, "
                            "weight or max live)",
    "header-too-few-ops": "6: more requests than the 1 the header declares",
    "header-truncated": "6: file ends after 2 of the 3 requests its header declares (truncated?)",
    "header-without-requests": "5: header with no requests after it",
    "id-too-large": "1: id 16777216 out of range (at most 16777215)",
    "missing-size": "1: expected size, found end of line",
    "negative-size": "1: negative size",
    "nul-byte": "2: NUL byte at column 1: this is binary data, not a trace",
    "number-after-requests": "2: a number where a request (a, f or r) was expected",
    "op-word": "1: unknown operation 'alloc 0 16' (expected a, f or r)",
    "realloc-freed": "3: realloc of id 0, which was freed at line 2",
    "realloc-to-zero": "2: realloc to 0 bytes (write 'f 0' instead)",
    "size-overflows": "1: size is too large",
    "size-suffix": "1: unexpected 'x' after size 16",
    "size-too-large": "1: size 1073741825 exceeds the limit of 1073741824 bytes",
    "trailing-junk": "1: unexpected 'junk' at end of line",
    "unknown-op": "1: unknown operation 'x' (expected a, f or r)",
}


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return harness.build_all(["leaks-everything"], tmp_path_factory.mktemp("bad"))["leaks-everything"]


def test_corpus_is_complete():
    assert {p.stem for p in BAD.glob("*.rep")} == set(EXPECTED)
    assert len(EXPECTED) >= 15


def test_each_rejected_with_file_line_reason(driver):
    paths = [BAD / f"{name}.rep" for name in sorted(EXPECTED)]
    cmd = [str(driver), "--json", "--no-timing"] + [a for p in paths for a in ("-f", str(p))]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    for path, t in zip(paths, doc["traces"]):
        assert t["correct"] is False
        assert t["error"]["kind"] == "trace"
        assert t["error"]["message"] == f"{path}:{EXPECTED[path.stem]}"


@pytest.mark.parametrize("name", ["double-free", "nul-byte", "header-truncated"])
def test_lint_says_the_same(driver, name):
    path = BAD / f"{name}.rep"
    p = subprocess.run([str(driver), "--lint", "-f", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1
    assert p.stderr.strip() == f"{path}:{EXPECTED[name]}"


def test_a_bad_trace_costs_only_itself(driver):
    good = harness.trace_path("short-03-reuse")
    cmd = [str(driver), "--json", "--no-timing", "-f", str(good), "-f", str(BAD / "double-free.rep"),
           "-f", str(good)]
    doc = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout)
    first, bad, last = doc["traces"]
    assert first["correct"] and last["correct"] and not bad["correct"]
    assert first["util"] == last["util"] == pytest.approx(200 / 336)
