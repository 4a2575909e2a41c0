"""The buggy-allocator corpus (tests/buggy/*/my_alloc.c): every classic
mistake gets the driver's exact verdict -- kind, operation, line and message.

Each member is built as the grader builds a submission and replayed on one
short trace.  Messages are compared whole; where they hold an absolute
address (which ASLR moves) the comparison is a regular expression that pins
everything else.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "buggy"))
import harness  # noqa: E402

# name: (trace, extra driver flags, kind, op, line, message or re.Pattern)
EXPECTED = {
    "misaligned-payload": ("short-01-one-block", [], "alignment", 0, 8,
        "my_alloc(16) for id 0 returned heap+0x8, which is not 16-byte aligned (address % 16 = 8)"),
    "header-overwrites-previous": ("two-blocks", [], "corrupted", 1, 3,
        "the payload of id 0 [heap+0x10, +16), allocated at line 2, was overwritten at byte 8 "
        "during this operation: expected 0x2a, found 0x10; the driver only noticed at op 2 (line 4)"),
    "split-overlap": ("short-03-reuse", [], "overlap", 1, 9,
        "my_alloc(100) for id 1 returned [heap+0x60, +100), which overlaps the live payload of "
        "id 0 [heap+0, +100) allocated at line 8"),
    "coalesce-stale-footer": ("short-05-coalesce", [], "signal", 9, 17,
        "SIGSEGV at address 0: a NULL pointer dereference, during op 9 (line 17: f 3)"),
    "double-handout": ("reuse-whole", [], "overlap", 4, 6,
        "my_alloc(16) for id 3 returned [heap+0x20, +16), which overlaps the live payload of "
        "id 2 [heap+0x20, +16) allocated at line 5"),
    "coalesce-keeps-neighbour-listed": ("merge-next", [], "signal", 7, 9,
        "SIGSEGV at address 0: a NULL pointer dereference, during op 7 (line 9: a 5 48)"),
    "writes-past-break": ("two-blocks", [], "past-break", 0, 2,
        "the allocator wrote at heap+0x10, 0 bytes past the break (the heap is 16 bytes): memory "
        "past the break is not the heap's until mem_sbrk grants it"),
    "uses-memory-before-sbrk": ("short-01-one-block", [], "signal", None, None,
        "SIGSEGV at address heap+0x1010, 4080 bytes past the break (the heap is 32 bytes), during "
        "setup or my_init (before the first request)"),
    "init-does-not-reset": ("short-01-one-block", [], "signal", 0, 8,
        "SIGSEGV at address heap+0x18, 24 bytes past the break (the heap is 0 bytes), during op 0 "
        "(line 8: a 0 16) of the second replay (after my_init: does my_init reset everything?)"),
    "init-forgets-flag": ("short-01-one-block", [], "reset", 0, 8,
        "the second replay returned heap+0 where the first returned heap+0x20: my_init must reset "
        "all of the allocator's state, so that a replay after it behaves exactly like the first"),
    "realloc-loses-data": ("short-06-realloc", [], "realloc-data", 1, 9,
        "realloc of id 0 from 24 to 100 bytes (heap+0x50) did not keep its contents: byte 0 "
        "should be 0x15, found 0x00"),
    "realloc-shrinks-wrongly": ("short-06-realloc", [], "realloc-data", 3, 11,
        "realloc of id 0 from 100 to 40 bytes (heap+0x50) did not keep its contents: byte 16 "
        "should be 0x3f, found 0x21"),
    "free-ignores-null": ("short-07-zero", [], "signal", 1, 9,
        "SIGSEGV at address 0xfffffffffffffff8 (NULL - 8): a NULL pointer dereference, during "
        "op 1 (line 9: f 0)"),
    "cyclic-free-list": ("short-02-odd-sizes", [], "timeout", 6, 14,
        "no result after 2 s: still in op 6 (line 14: a 6 4095) (an infinite loop, e.g. a cycle "
        "in a free list?)"),
    "recursion-overflow": ("short-01-one-block", [], "signal", 0, 8, re.compile(
        r"SIGSEGV at address 0x[0-9a-f]+, at the end of the stack: a stack overflow \(runaway "
        r"recursion\?\), during op 0 \(line 8: a 0 16\)")),
    "calls-abort": ("short-08-big", [], "signal", 1, 9,
        "SIGABRT: the allocator called abort() (a failed assert?) during op 1 (line 9: a 1 1048576)"),
    "calls-exit": ("short-08-big", [], "exit", 1, 9,
        "the allocator ended the process with exit(0) during op 1 (line 9: a 1 1048576); an "
        "allocator must return, never exit"),
    "null-for-valid-request": ("short-08-big", [], "null", 1, 9,
        "my_alloc(1048576) for id 1 returned NULL, but the heap is only 8224 bytes (mem_sbrk can "
        "grant up to 2147483648)"),
    "returns-outside-heap": ("short-01-one-block", [], "outside-heap", 0, 8, re.compile(
        r"my_alloc\(16\) for id 0 returned \[0x[0-9a-f]+, \+16\), which is not inside the heap "
        r"\[heap\+0, heap\+0\)")),
    "nonnull-for-zero": ("short-07-zero", [], "not-null", 0, 8,
        "my_alloc(0) returned heap+0; it must return NULL for size 0"),
    "init-fails": ("short-01-one-block", [], "init", None, None, "my_init returned nonzero"),
    "checker-catches-own-bug": ("short-05-coalesce", ["-c"], "checker", 5, 13,
        "my_check_heap: I1: block heap+0x20 has header 0x220 but footer 0x110"),
}
CORRECT_BUT_POOR = "leaks-everything"


@pytest.fixture(scope="module")
def drivers(tmp_path_factory):
    names = list(EXPECTED) + [CORRECT_BUT_POOR]
    return harness.build_all(names, tmp_path_factory.mktemp("buggy"))


def test_every_corpus_member_has_an_expectation():
    members = {p.parent.name for p in harness.CORPUS.glob("*/my_alloc.c")}
    plain = {m for m in members if not m.startswith("hostile-")}
    assert plain == set(EXPECTED) | {CORRECT_BUT_POOR}
    assert len(plain) >= 20
    for m in plain:
        text = (harness.CORPUS / m / "my_alloc.c").read_text()
        assert "The classic mistake:" in text and "BUG" in text, m


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_verdict(drivers, name):
    trace, flags, kind, op, line, message = EXPECTED[name]
    doc, proc = harness.run(drivers[name], [trace], *flags)
    assert proc.returncode == 1
    t = doc["traces"][0]
    assert t["correct"] is False
    err = t["error"]
    assert (err["kind"], err["op"], err["line"]) == (kind, op, line)
    if isinstance(message, re.Pattern):
        assert message.fullmatch(err["message"]), err["message"]
    else:
        assert err["message"] == message
    assert t["util"] is None


def test_the_checker_finds_the_bug_before_the_crash(drivers):
    """Same bug, without -c: it only shows up four operations later, as a crash."""
    doc, _ = harness.run(drivers["checker-catches-own-bug"], ["short-05-coalesce"])
    err = doc["traces"][0]["error"]
    assert (err["kind"], err["op"]) == ("signal", 9)


def test_leaking_allocator_is_correct_with_exact_poor_utilization(drivers):
    """A bump allocator: heap = sum of the requests rounded up to 16, nothing reused."""
    doc, proc = harness.run(drivers[CORRECT_BUT_POOR], ["short-03-reuse", "short-05-coalesce"])
    assert proc.returncode == 0
    reuse, coalesce = doc["traces"]
    assert reuse["correct"] and coalesce["correct"]
    assert reuse["heap_size"] == 3 * 112                # a 100, a 100, a 100
    assert reuse["util"] == pytest.approx(200 / 336)     # peak: two live blocks of 100
    assert coalesce["heap_size"] == 3 * 256 + 16 + 768
    peak = 3 * 256 + 16                                  # before the frees (768 + 16 after)
    assert coalesce["util"] == pytest.approx(peak / (3 * 256 + 16 + 768))


def test_a_failing_member_does_not_affect_the_other_traces(drivers):
    """One driver run: the crashing trace fails alone; the others keep their results."""
    alone, _ = harness.run(drivers["free-ignores-null"], ["short-03-reuse", "short-05-coalesce"])
    mixed, _ = harness.run(drivers["free-ignores-null"],
                           ["short-03-reuse", "short-07-zero", "short-05-coalesce"])
    assert [t["correct"] for t in mixed["traces"]] == [True, False, True]
    for a, m in zip(alone["traces"], [mixed["traces"][0], mixed["traces"][2]]):
        assert (a["heap_size"], a["util"]) == (m["heap_size"], m["util"])
