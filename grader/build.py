"""Building a submission: compile it against the contract, link it with the driver.

Every grading run works in its own directory (build/grade/<name>/): the
submission is compiled there with the kit's flags plus `-include my_alloc.h`
(so a function whose signature differs from the contract is a compile error),
then linked with build/libdriver.a into that directory's `driver`.  Compiler
and linker messages are parsed into Diagnostics with file:line so that every
reporter can point at them.  Nothing here raises on a bad submission: a
failed build is a BuildResult with ok=False and a one-line reason.

build/libdriver.a itself is made by `make` (one build description for the
whole kit); ensure_driver_library() runs it once per grading session.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from . import link
from .config import REPO_ROOT, Config
from .model import BuildResult, Diagnostic

OUTPUT_CAP = 20000
LIBDRIVER = REPO_ROOT / "build" / "libhost.a"      # the allocator host's library
CHECKER = REPO_ROOT / "build" / "driver"            # the checker (no student code)
LIBC_HOST = REPO_ROOT / "build" / "libc-host"       # libhost + no allocator: the baseline

# "file:line:col: error: message" (gcc, clang); "fatal error" counts as error.
_DIAG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)? "
                   r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$")
# Linker, with -g: "/path/x.c:12: undefined reference to `foo'"
_LD_LOC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?: \(\S+\))? (?P<msg>(?:undefined reference|multiple definition).*)$")
_LD_ANY = re.compile(r"(undefined reference|multiple definition|ld returned|linker command failed|"
                     r"cannot find|first defined here)")


class DriverLibraryError(Exception):
    """build/libdriver.a could not be built (a kit problem, not the student's)."""


def env_c() -> dict:
    env = dict(os.environ)
    env["LC_ALL"] = "C"     # plain ASCII quotes in compiler messages
    return env


def ensure_driver_library(timeout: float = 300) -> Path:
    """Bring the kit (build/driver, build/libhost.a, build/libc-host) up to
    date through make; return the host library's path."""
    make = os.environ.get("MAKE", "make")
    if shutil.which(make) is None:
        if LIBDRIVER.exists():
            return LIBDRIVER
        raise DriverLibraryError(f"{make} not found and {LIBDRIVER} missing")
    try:
        p = subprocess.run([make, "-s", "--no-print-directory", "-C", str(REPO_ROOT),
                            "kit"], capture_output=True, text=True,
                           timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        raise DriverLibraryError("make kit timed out") from None
    if p.returncode != 0 or not (LIBDRIVER.exists() and CHECKER.exists() and LIBC_HOST.exists()):
        raise DriverLibraryError("make kit failed:\n" + (p.stdout + p.stderr)[-4000:])
    return LIBDRIVER


def find_source(submission: Path) -> Path | None:
    """The C file to grade: the path itself, or a directory's my_alloc.c,
    or a directory's only .c file."""
    if submission.is_file():
        return submission
    if submission.is_dir():
        direct = submission / "my_alloc.c"
        if direct.is_file():
            return direct
        cs = sorted(submission.rglob("*.c"))
        named = [c for c in cs if c.name == "my_alloc.c"]
        if len(named) == 1:
            return named[0]
        if len(cs) == 1:
            return cs[0]
    return None


def parse_diagnostics(text: str, source: Path, shown: str) -> list[Diagnostic]:
    """Compiler/linker messages about the submission, with its path as `shown`."""
    out: list[Diagnostic] = []
    src_names = {str(source), source.name, os.path.abspath(source)}
    for line in text.splitlines():
        m = _DIAG.match(line)
        if m:
            sev = "error" if m["sev"] == "fatal error" else m["sev"]
            f = m["file"]
            f = shown if (f in src_names or os.path.abspath(f) == str(source.resolve())) else f
            out.append(Diagnostic(sev, m["msg"], f, int(m["line"]),
                                  int(m["col"]) if m["col"] else None))
            continue
        m = _LD_LOC.match(line)
        if m:
            f = m["file"]
            f = shown if os.path.basename(f) == source.name else f
            out.append(Diagnostic("error", m["msg"], f, int(m["line"])))
            continue
        if _LD_ANY.search(line) and "ld returned" not in line and "linker command failed" not in line:
            out.append(Diagnostic("error", line.strip()))
    return out


def compile_submission(submission: Path, workdir: Path, cfg: Config,
                       libdriver: Path = LIBDRIVER, shown: str | None = None) -> BuildResult:
    """Compile and link; never raises for a bad submission."""
    shown = shown or str(submission)
    source = find_source(submission)
    if source is None:
        what = "no such file" if not submission.exists() else "no my_alloc.c (or single .c file) in it"
        return BuildResult(ok=False, reason=f"{shown}: {what}",
                           diagnostics=[Diagnostic("error", f"{what}", shown)])
    if source != submission:
        shown = str(source) if shown == str(submission) else os.path.join(shown, source.relative_to(submission))
    workdir.mkdir(parents=True, exist_ok=True)
    obj, exe = workdir / "my_alloc.o", workdir / "driver"
    for stale in (obj, workdir / "allocator", workdir / "allocator.o", exe):
        stale.unlink(missing_ok=True)
    cc = cfg.compiler()
    include = REPO_ROOT / "include"
    cmd = [cc, *cfg.cflags, "-fdiagnostics-color=never", f"-I{include}",
           "-include", "my_alloc.h", "-c", str(source), "-o", str(obj)]
    ok, text = _run(cmd, cfg.build_timeout_s)
    diags = parse_diagnostics(text, source, shown)
    result = BuildResult(ok=False, command=cmd, diagnostics=diags, output=text[-OUTPUT_CAP:],
                         object_file=str(obj))
    if not ok or not obj.exists():
        errs = result.errors
        if errs:
            e = errs[0]
            loc = f"{e.file}:{e.line}: " if e.line else ""
            result.reason = f"{loc}{e.message}" + (f" (and {len(errs) - 1} more errors)" if len(errs) > 1 else "")
        else:
            result.reason = (text.strip().splitlines() or ["compiler failed"])[-1]
        return result

    # The allocator host: the object with only the contract's functions
    # global, statically linked with the host library (grader/link.py);
    # `driver` is the checker run on it.
    allocator, exe = workdir / "allocator", workdir / "driver"
    try:
        ltext = link.link_allocator(str(obj), str(allocator), cc=cc, contract=cfg.contract,
                                    host_lib=libdriver, timeout=cfg.build_timeout_s)
    except link.LinkError as e:
        ltext = str(e)
        result.output = (text + ltext)[-OUTPUT_CAP:]
        ldiags = parse_diagnostics(ltext, source, shown) or [Diagnostic("error", ltext.strip()[-500:])]
        result.diagnostics += ldiags
        e0 = ldiags[0]
        loc = f"{e0.file}:{e0.line}: " if e0.line else ""
        result.reason = f"link failed: {loc}{e0.message}"
        return result
    link.write_driver_script(exe, allocator, CHECKER)
    result.output = (text + ltext)[-OUTPUT_CAP:]
    result.ok, result.driver, result.allocator = True, str(exe), str(allocator)
    return result


def _run(cmd: list[str], timeout: float) -> tuple[bool, str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout, env=env_c(), stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return False, f"{cmd[0]}: compiler not found\n"
    except subprocess.TimeoutExpired:
        return False, f"{cmd[0]}: timed out after {timeout:g} s\n"
    return p.returncode == 0, p.stdout + p.stderr
