"""The driver's trust boundary (grader/driver/protocol.h), seen from the
outside: what an allocator can reach from its own process gains it nothing.

Each case builds tests/driver/cheat_alloc.c with one trick and runs the real
checker on it: the allocator host runs with an empty environment and no
secret on its stack, libc's allocator is out of reach in it, and a timed
replay that does not repeat its checked replay is `tamper`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grader import link  # noqa: E402

TRACES = ROOT / "traces"
TRIGGER = ROOT / "tests" / "buggy" / "traces" / "trigger.rep"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    subprocess.run(["make", "-s", "kit"], cwd=ROOT, check=True)
    out = tmp_path_factory.mktemp("cheats")

    def make(*defines: str) -> Path:
        name = "-".join(d.split("=")[0] for d in defines) or "plain"
        obj, alloc, drv = out / f"{name}.o", out / f"allocator-{name}", out / f"driver-{name}"
        subprocess.run(["cc", "-std=c11", "-O1", "-I", str(ROOT / "include"), *[f"-D{d}" for d in defines],
                        "-c", str(ROOT / "tests/driver/cheat_alloc.c"), "-o", str(obj)], check=True)
        link.link_allocator(str(obj), str(alloc))
        link.write_driver_script(drv, alloc)
        return drv
    return make


def run(driver: Path, *args: str, env: dict | None = None) -> dict:
    p = subprocess.run([str(driver), "--json", *args], capture_output=True, text=True, timeout=120,
                       env=env)
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))


def test_a_timed_replay_that_differs_from_its_checked_one_is_tamper(build):
    # Calibrate as an attacker would: where does my_init return to in a checked host?
    doc = run(build("PRINT_CALLER"), "--no-timing", "-f", str(TRACES / "synth-fifo.rep"))
    caller = re.search(r"caller=(0x[0-9a-f]+)", doc["traces"][0]["output"]).group(1)
    honest = run(build(), "--samples", "2", "-f", str(TRACES / "synth-fifo.rep"))["traces"][0]
    assert honest["correct"] and honest["samples"] >= 2
    cheat = run(build(f"TIMED_CHEAT={caller}"), "--samples", "2", "-f", str(TRACES / "synth-fifo.rep"))
    t = cheat["traces"][0]
    # It passed its checked replays as the honest allocator does ...
    assert t["checked_ops_per_sec"] is None or t["correct"] is False
    # ... and was caught repeating nothing of them when timed.
    assert t["correct"] is False and t["error"]["kind"] == "tamper"
    assert t["error"]["message"].startswith("the timed replay did not repeat the checked replay: ")
    assert t["util"] is None and t["ratio"] is None


def test_the_host_has_no_environment_and_no_secret_on_its_stack(build):
    env = dict(os.environ, SLABLAB_CANARY="c4n4ry-" + os.urandom(4).hex())
    doc = run(build("SHOW_ENV"), "--no-timing", "-f", str(TRACES / "short-01-one-block.rep"), env=env)
    out = doc["traces"][0]["output"]
    assert "environ=(empty)" in out and "canary on the stack: no" in out
    assert env["SLABLAB_CANARY"] not in json.dumps(doc)


def test_libc_malloc_is_out_of_reach_in_the_host(build):
    """glibc's allocator is not in the host at all; the host's own malloc
    gives nothing once sealed, so memory outside the heap cannot be had."""
    drv = build("LIBC_MALLOC")
    nm = subprocess.run(["nm", str(drv.with_name(drv.name.replace("driver-", "allocator-")))],
                        capture_output=True, text=True, check=True).stdout
    assert not re.search(r" (__libc_malloc|main_arena|_int_malloc)$", nm, re.M)
    err = run(drv, "--no-timing", "-f", str(TRIGGER))["traces"][0]["error"]
    assert (err["kind"], err["op"]) == ("null", 1)


def test_the_checker_never_loads_student_code():
    """build/driver is the kit's alone: no contract symbol is in it."""
    subprocess.run(["make", "-s", "kit"], cwd=ROOT, check=True)
    nm = subprocess.run(["nm", str(ROOT / "build" / "driver")], capture_output=True, text=True,
                        check=True).stdout
    names = {line.split()[-1] for line in nm.splitlines() if line.strip()}
    assert not names & {"my_init", "my_alloc", "my_free", "allocate_slab", "my_realloc"}


def test_the_host_is_static_with_full_relro(build):
    drv = build()
    exe = drv.with_name(drv.name.replace("driver-", "allocator-"))
    hdr = subprocess.run(["readelf", "-lW", str(exe)], capture_output=True, text=True, check=True).stdout
    dyn = subprocess.run(["readelf", "-dW", str(exe)], capture_output=True, text=True).stdout
    assert "INTERP" not in hdr and "GNU_RELRO" in hdr
    assert "GNU_STACK" in hdr and re.search(r"GNU_STACK.* RW ", hdr)
    assert "NEEDED" not in dyn
