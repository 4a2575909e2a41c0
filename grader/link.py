"""Linking a submission's object into its allocator host (grader/driver/host.c).

    python3 -m grader.link OBJECT -o ALLOCATOR [--host-lib build/libhost.a] [--driver-script PATH]

Two steps, the same for the grader, `make` and the tests:
  1. objcopy: only the contract's functions stay global (so a submission that
     defines write() or clock_gettime() replaces nothing the host calls), and
     every code section of the object is renamed `student_text`, so the
     linker gathers the student's code in one range that the host's seal
     knows (a system call made from there is a raw syscall instruction);
  2. a static link with the host library, full RELRO and a non-executable
     stack: the host needs no dynamic loader, so nothing is resolved or
     loaded at run time, and its libc is the one in the executable -- less
     glibc's malloc, replaced by build/host_malloc.o, which the seal turns
     off (grader/driver/host_malloc.c).
The grader then compares the executable's load-time entry points and
writable segments with build/libc-host's (grader/static.py) before it is
ever run.
"""
from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST_LIB = REPO_ROOT / "build" / "libhost.a"
HOST_MALLOC = REPO_ROOT / "build" / "host_malloc.o"   # replaces glibc's malloc (host_malloc.c)
CONTRACT = ("my_init", "my_alloc", "my_free", "allocate_slab", "my_realloc", "my_check_heap",
            "my_heap_walk")
STUDENT_TEXT = "student_text"
LINK_FLAGS = ["-static", "-Wl,-z,relro,-z,now", "-Wl,-z,noexecstack"]
SHF_EXECINSTR = 0x4


class LinkError(Exception):
    """The object could not be made into an allocator host; the message says why."""


def code_sections(obj: str) -> list[str]:
    """Names of the executable sections of an ELF64 little-endian object."""
    data = Path(obj).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise LinkError(f"{obj}: not an ELF64 little-endian object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shentsize != 64 or shoff + shnum * 64 > len(data) or shstrndx >= shnum:
        raise LinkError(f"{obj}: malformed section table")
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * 64) for i in range(shnum)]
    str_off, str_size = headers[shstrndx][4], headers[shstrndx][5]
    if str_off + str_size > len(data):
        raise LinkError(f"{obj}: malformed section name table")
    names = []
    for h in headers:
        if h[2] & SHF_EXECINSTR:
            end = data.find(b"\0", str_off + h[0], str_off + str_size)
            if end < 0:
                raise LinkError(f"{obj}: a section name runs off its table")
            names.append(data[str_off + h[0]:end].decode("latin-1"))
    return names


def objcopy_command(obj: str, prepared: str, contract=CONTRACT, sections_of: str | None = None) -> list[str]:
    """Step 1: only the contract global, every code section student_text
    (the sections read from sections_of, default obj)."""
    rename = []
    # .init and .fini fragments keep their names: the linker splices those
    # into the start-up code, where grader/static.py must find them (and
    # refuse the submission) rather than see them moved out of the way.
    for name in sorted(set(code_sections(sections_of or obj)) - {".init", ".fini"}):
        rename += ["--rename-section", f"{name}={STUDENT_TEXT}"]
    keep = [f"--keep-global-symbol={name}" for name in contract]
    return ["objcopy", *keep, *rename, obj, prepared]


def link_command(cc: str, prepared: str, host_malloc: str, host_lib: str, out: str) -> list[str]:
    """Step 2: the static link with the host's malloc and library."""
    return [cc, *LINK_FLAGS, prepared, host_malloc, host_lib, "-o", out]


def link_allocator(obj: str, out: str, *, cc: str = "cc", contract=CONTRACT,
                   host_lib: str | os.PathLike = HOST_LIB, timeout: float = 120) -> str:
    """Make `out` from `obj` (unconfined: for `make` and the tests; the
    grader runs the same two commands confined, grader/build.py); return the
    tools' messages.  Raises LinkError."""
    prepared = str(out) + ".o"
    host_malloc = str(Path(host_lib).with_name("host_malloc.o"))
    messages = ""
    for cmd in (objcopy_command(obj, prepared, contract),
                link_command(cc, prepared, host_malloc, str(host_lib), str(out))):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                               timeout=timeout, stdin=subprocess.DEVNULL,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"})
        except FileNotFoundError:
            raise LinkError(f"{cmd[0]} not found") from None
        except subprocess.TimeoutExpired:
            raise LinkError(f"{cmd[0]} timed out after {timeout:g} s") from None
        messages += p.stdout + p.stderr
        if p.returncode != 0:
            raise LinkError(messages.strip()[-2000:] or f"{cmd[0]} failed")
    return messages


def write_driver_script(path: str | os.PathLike, allocator: str | os.PathLike,
                        driver: str | os.PathLike = REPO_ROOT / "build" / "driver") -> None:
    """`path` runs the checker on `allocator`: `path -f TRACE ...` is
    `build/driver --allocator ALLOCATOR -f TRACE ...` (what the grader's
    runner, the shrinker and the tests call "the driver" of a submission)."""
    q = lambda p: "'" + str(Path(p).resolve()).replace("'", "'\\''") + "'"
    Path(path).write_text(f"#!/bin/sh\n# the checker on one allocator (grader/link.py)\n"
                          f"exec {q(driver)} --allocator {q(allocator)} \"$@\"\n")
    os.chmod(path, 0o755)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m grader.link", description=__doc__.splitlines()[0])
    ap.add_argument("object")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--host-lib", default=str(HOST_LIB))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--driver-script", help="also write this script running build/driver on it")
    a = ap.parse_args(argv)
    try:
        msg = link_allocator(a.object, a.output, cc=a.cc, host_lib=a.host_lib)
    except LinkError as e:
        print(f"link: {e}", file=sys.stderr)
        return 1
    sys.stderr.write(msg)
    if a.driver_script:
        write_driver_script(a.driver_script, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
