"""Building a submission: compile it against the contract, link it with the host.

Compile step (compile_object): the compiler runs through isolate.run_confined
in a FRESH directory that holds only the submission (copied as my_alloc.c)
and a copy of include/ -- no path to the kit: `-I include -include
my_alloc.h` are relative to that directory.  Under the bwrap and landlock
layers the compiler cannot open solution/, traces/ (hidden ones included),
tests/ or anything but the system's program directories; it has no /proc,
no /dev but /dev/null, no network, BUILD_MEMORY_BYTES of address space, the
config's build timeout in CPU and wall time, BUILD_FILE_BYTES per written
file, and every process it starts (cc1, as, lto1) dies with it on a timeout.
What it prints is read through a BUILD_OUTPUT_CAP-byte window; only the
diagnostics about my_alloc.c and the contract headers are kept (at most
MAX_DIAGNOSTICS), so a warning flood costs a short report and bounded memory.

Link step (link_allocator): grader/link.py's two commands, confined too
(the linker reads the submission's object; an LTO section would run lto1):
objcopy keeps only the contract's functions global and gathers the code in
student_text, then a static link with the host library gives `allocator`,
the submission's allocator host; `driver` beside it runs the checker on it.

Nothing here raises on a bad submission: a failed build is a BuildResult
with ok=False and a one-line reason.  The kit (build/driver, build/libhost.a,
...) is made by `make kit`; ensure_driver_library() runs it once per grading
session.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from . import isolate, link
from .config import REPO_ROOT, Config
from .model import BuildResult, Diagnostic

OUTPUT_CAP = 20000              # raw compiler text kept in BuildResult.output
BUILD_OUTPUT_CAP = 64 << 10     # bytes of compiler output the grader reads at all
MAX_DIAGNOSTICS = 50            # diagnostics kept (the rest are counted)
MAX_SOURCE_BYTES = 1 << 20      # a larger submission is refused before compiling
BUILD_MEMORY_BYTES = 1 << 30    # address space of each compiler process
BUILD_FILE_BYTES = 64 << 20     # largest file the compiler may write (object, temporaries)
LIBDRIVER = REPO_ROOT / "build" / "libhost.a"      # the allocator host's library
CHECKER = REPO_ROOT / "build" / "driver"            # the checker (no student code)
LIBC_HOST = REPO_ROOT / "build" / "libc-host"       # the libc baseline host
CONTRACT_HEADERS = ("my_alloc.h", "memlib.h")
SOURCE_NAME = "my_alloc.c"

# "file:line:col: error: message" (gcc, clang); "fatal error" counts as error.
_DIAG = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)? "
                   r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$")
# Linker, with -g: "/path/x.c:12: undefined reference to `foo'"
_LD_LOC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?: \(\S+\))? (?P<msg>(?:undefined reference|multiple definition).*)$")
_LD_ANY = re.compile(r"(undefined reference|multiple definition|ld returned|linker command failed|"
                     r"cannot find|first defined here)")
# The assembler (gas): "{standard input}:4: Error: file not found: x".
_GAS = re.compile(r"^(?P<file>\{standard input\}|[^:\n]+\.s):(?P<line>\d+): (?P<sev>Error|Warning): (?P<msg>.*)$")
# The compiler's own messages: "cc1: fatal error: x: No such file or directory".
_TOOL = re.compile(r"^(?P<tool>cc1|cc1plus|clang|gcc|cc|as|collect2|lto1)(?:-[\d.]+)?: "
                   r"(?P<sev>internal compiler error|fatal error|error|warning): (?P<msg>.*)$")
# Lines that introduce or continue a diagnostic about some file.
_ABOUT_FILE = re.compile(r"^(?:In file included from |\s+from )?(?P<file>[^:\s][^:\n]*):(?:\d+|\s)")


class DriverLibraryError(Exception):
    """The kit (build/driver, build/libhost.a...) could not be built (a kit problem, not the student's)."""


def env_c() -> dict:
    env = dict(os.environ)
    env["LC_ALL"] = "C"     # plain ASCII quotes in compiler messages
    return env


def ensure_driver_library(timeout: float = 300) -> Path:
    """Bring the kit (build/driver, build/libhost.a, build/host_malloc.o,
    build/libc-host) up to date through make; return the host library."""
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


def _own_file(f: str) -> str | None:
    """The name to show for a file the sandboxed compiler named, or None
    when it is not the submission or a contract header."""
    f = f.strip()
    if f.startswith(isolate.SANDBOX_DIR + "/"):
        f = f[len(isolate.SANDBOX_DIR) + 1:]
    if f and not f.startswith(("<", "{")):
        f = os.path.normpath(f)     # clang's __FILE__ grows "././" with each nested include
    if f == SOURCE_NAME or f in ("<inline asm>", "{standard input}"):
        return SOURCE_NAME   # clang's and gas's names for the submission's own assembly
    if f in tuple("include/" + h for h in CONTRACT_HEADERS):
        return f
    return None


def filter_output(text: str, source_dir: str | None = None) -> tuple[str, int]:
    """Keep the compiler's lines that are about the submission or the
    contract headers (with the caret/excerpt lines that follow them) and the
    compiler's own lines ("cc1: ..."); drop blocks about other files.
    Returns (kept text, number of dropped diagnostics)."""
    kept, dropped, keep_block = [], 0, True
    for line in text.splitlines():
        if source_dir:
            line = line.replace(source_dir.rstrip("/") + "/", "")
        m = _DIAG.match(line) or _GAS.match(line) or _ABOUT_FILE.match(line)
        if m:
            own = _own_file(m["file"])
            keep_block = own is not None or m["file"] in ("cc1", "cc", "gcc", "clang", "as", "ld",
                                                          "collect2")
            if not keep_block and _DIAG.match(line):
                dropped += 1
        if keep_block:
            kept.append(line)
    return "\n".join(kept) + ("\n" if kept else ""), dropped


def parse_diagnostics(text: str, source: Path | str, shown: str) -> list[Diagnostic]:
    """Compiler/linker messages about the submission (my_alloc.c in the
    sandbox, or `source`), with its path as `shown`; messages about other
    files are left out (filter_output counts them)."""
    out: list[Diagnostic] = []
    source = str(source)
    src_names = {source, os.path.basename(source), os.path.abspath(source), SOURCE_NAME}
    for line in text.splitlines():
        m = _DIAG.match(line)
        if m:
            sev = "error" if m["sev"] == "fatal error" else m["sev"]
            f = m["file"]
            own = _own_file(f)
            if f in src_names or own == SOURCE_NAME:
                f = shown
            elif own is not None:
                f = own
            elif f not in ("cc1", "cc", "gcc", "clang", "as", "collect2"):
                continue
            if m["file"] == "<inline asm>":     # a line of the asm string, not of the file
                out.append(Diagnostic(sev, "in inline assembly: " + m["msg"], f))
                continue
            out.append(Diagnostic(sev, m["msg"], f, int(m["line"]),
                                  int(m["col"]) if m["col"] else None))
            continue
        m = _TOOL.match(line)
        if m:
            sev = "warning" if m["sev"] == "warning" else "error"
            out.append(Diagnostic(sev, m["msg"], shown))
            continue
        m = _GAS.match(line)
        if m:
            out.append(Diagnostic(m["sev"].lower(), "assembler: " + m["msg"], shown))
            continue
        m = _LD_LOC.match(line)
        if m:
            f = m["file"]
            f = shown if os.path.basename(f) in src_names else f
            out.append(Diagnostic("error", m["msg"], f, int(m["line"])))
            continue
        if _LD_ANY.search(line) and "ld returned" not in line and "linker command failed" not in line:
            out.append(Diagnostic("error", line.strip()))
    return out


def _compiler_argv0(cc: str) -> tuple[str, tuple]:
    """The compiler as the sandbox must run it, and any directory outside
    the system directories it needs to see (a compiler in /opt)."""
    path = shutil.which(cc)
    if path is None:
        return cc, ()
    real = os.path.realpath(path)
    if any(isolate._under(real, d) for d in isolate.SYSTEM_DIRS if os.path.isdir(d)):
        return path, ()
    prefix = str(Path(real).parent.parent)
    return real, (prefix,)


def secret_paths(cfg: Config | None = None) -> tuple:
    """Directories the compiler must never see, even beneath /usr: the kit."""
    out = [str(REPO_ROOT)]
    hidden = getattr(cfg, "hidden_dir", None) if cfg is not None else None
    if hidden:
        out.append(str(Path(hidden) if Path(hidden).is_absolute() else REPO_ROOT / hidden))
    return tuple(out)


def make_build_dir(source_bytes: bytes, parent: str | None = None) -> Path:
    """A fresh directory holding only my_alloc.c and include/ (the contract)."""
    d = Path(tempfile.mkdtemp(prefix="slablab-cc-", dir=parent))
    os.chmod(d, 0o755)
    (d / SOURCE_NAME).write_bytes(source_bytes)
    inc = d / "include"
    inc.mkdir()
    for h in CONTRACT_HEADERS:
        shutil.copyfile(REPO_ROOT / "include" / h, inc / h)
    return d


def compile_object(source_bytes: bytes, cfg: Config, shown: str, obj_out: Path) -> BuildResult:
    """Compile the submission in a fresh confined directory; on success the
    object is copied to obj_out.  Never raises for a bad submission."""
    cc, extra_ro = _compiler_argv0(cfg.compiler())
    cmd = [cc, *cfg.cflags, "-fdiagnostics-color=never", "-pipe", "-I", "include",
           "-include", "my_alloc.h", "-c", SOURCE_NAME, "-o", "my_alloc.o"]
    result = BuildResult(ok=False, command=cmd, object_file=None)
    try:
        layer, notes = isolate.probe_layer()
    except isolate.IsolationError as e:
        result.reason = f"the compiler cannot be confined on this machine: {e}"
        result.diagnostics = [Diagnostic("error", result.reason)]
        return result
    result.isolation = layer
    d = make_build_dir(source_bytes)
    try:
        try:
            c = isolate.run_confined(cmd, workdir=d, read_only=extra_ro, hide=secret_paths(cfg),
                                     timeout_s=cfg.build_timeout_s, output_cap=BUILD_OUTPUT_CAP,
                                     memory_bytes=BUILD_MEMORY_BYTES, cpu_s=cfg.build_timeout_s,
                                     fsize_bytes=BUILD_FILE_BYTES, layer=layer)
        except isolate.IsolationError as e:
            result.reason = f"the compiler cannot be confined on this machine: {e}"
            result.diagnostics = [Diagnostic("error", result.reason)]
            return result
        raw = c.output.decode("utf-8", "replace")
        if c.truncated:     # the last line may be cut in the middle
            raw = raw[:raw.rfind("\n") + 1]
        text, dropped = filter_output(raw, str(d))
        diags = parse_diagnostics(text, SOURCE_NAME, shown)
        total = len(diags)
        result.diagnostics = diags[:MAX_DIAGNOSTICS]
        tail = []
        if total > MAX_DIAGNOSTICS:
            tail.append(f"{total - MAX_DIAGNOSTICS} more diagnostics not shown")
        if c.truncated:
            tail.append(f"the compiler printed {c.output_bytes} bytes; only the first "
                        f"{BUILD_OUTPUT_CAP} were read")
        if dropped:
            tail.append(f"{dropped} diagnostics about other files not shown")
        result.output = text[:OUTPUT_CAP] + "".join(f"[{t}]\n" for t in tail)
        built = d / "my_alloc.o"
        if c.ok and built.is_file():
            shutil.copyfile(built, obj_out)
            result.ok, result.object_file = True, str(obj_out)
            return result
        errs = result.errors
        limit_hit = _limit_message(raw)
        if c.timed_out:
            result.reason = (f"the compiler did not finish within {cfg.build_timeout_s:g} s "
                             "(all its processes were stopped)")
        elif limit_hit:
            result.reason = limit_hit
        elif errs:
            e = errs[0]
            loc = f"{e.file}:{e.line}: " if e.line else ""
            result.reason = f"{loc}{e.message}" + (f" (and {len(errs) - 1} more errors)" if len(errs) > 1 else "")
        elif c.error:
            result.reason = f"{cfg.compiler()}: {c.error}"
        elif c.returncode is not None and c.returncode < 0:
            result.reason = f"the compiler was {c.describe()}"
        else:
            last = [l for l in text.strip().splitlines() if l.strip() and not l.startswith("[")]
            if c.truncated:
                result.reason = (f"the compiler failed ({c.describe()}) after printing "
                                 f"{c.output_bytes} bytes of messages (the first {BUILD_OUTPUT_CAP} "
                                 "were read; they name no error)")
            else:
                result.reason = last[-1][:300] if last else f"the compiler failed ({c.describe()})"
        if not result.diagnostics:
            result.diagnostics = [Diagnostic("error", result.reason, shown)]
        return result
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _limit_message(raw: str) -> str:
    """A limit the compiler ran into, said plainly ("" if none)."""
    if "File size limit exceeded" in raw:
        return (f"the compiler tried to write a file larger than {BUILD_FILE_BYTES >> 20} MiB "
                "(file size limit)")
    if any(k in raw for k in ("out of memory", "virtual memory exhausted", "std::bad_alloc",
                              "Cannot allocate memory")):
        return f"the compiler ran out of memory (limit {BUILD_MEMORY_BYTES >> 20} MiB)"
    if "CPU time limit exceeded" in raw:
        return "the compiler ran out of CPU time"
    return ""


def link_allocator(obj: Path, workdir: Path, cfg: Config, hostlib: Path, *, ldflags=(),
                   exe_name: str = "allocator") -> tuple[bool, Path | None, str]:
    """Link the submission's object into its allocator host, workdir/exe_name
    (grader/link.py's two commands: objcopy, then the static link with the
    host library and the host's malloc); (ok, executable, tools' output).
    Confined like the compiler: it sees a directory holding the object and
    copies of the host library and build/host_malloc.o."""
    d = make_build_dir(b"")
    try:
        hostlib = Path(hostlib)
        shutil.copyfile(obj, d / "my_alloc.o")
        shutil.copyfile(hostlib, d / "host.a")
        shutil.copyfile(hostlib.with_name("host_malloc.o"), d / "host_malloc.o")
        try:
            objcopy = link.objcopy_command("my_alloc.o", "my_alloc.contract.o", cfg.contract,
                                           sections_of=str(d / "my_alloc.o"))
        except (OSError, link.LinkError) as e:
            return False, None, f"objcopy could not prepare the object for linking: {e}\n"
        linker = link.link_command(_compiler_argv0(cfg.compiler())[0], "my_alloc.contract.o",
                                   "host_malloc.o", "host.a", "exe")
        steps = [(objcopy, "objcopy"), (linker[:1] + list(ldflags) + linker[1:], "link")]
        text = ""
        for cmd, what in steps:
            try:
                c = isolate.run_confined(cmd, workdir=d, hide=secret_paths(cfg),
                                         timeout_s=cfg.build_timeout_s, output_cap=BUILD_OUTPUT_CAP,
                                         memory_bytes=BUILD_MEMORY_BYTES, cpu_s=cfg.build_timeout_s,
                                         fsize_bytes=4 * BUILD_FILE_BYTES)
            except isolate.IsolationError as e:
                return False, None, f"the {what} step cannot be confined on this machine: {e}\n"
            out = c.output.decode("utf-8", "replace")
            text += out
            if not c.ok:
                if what == "objcopy":
                    text = f"objcopy could not prepare the object for linking: {out.strip()[-300:] or c.describe()}\n"
                elif not out.strip():
                    text += f"the linker {c.describe()}\n"
                return False, None, text
        exe = workdir / exe_name
        shutil.copyfile(d / "exe", exe)
        os.chmod(exe, 0o755)
        shutil.copyfile(d / "my_alloc.contract.o", workdir / "allocator.o")
        return True, exe, text
    finally:
        shutil.rmtree(d, ignore_errors=True)


# The baseline allocator: the contract's four functions and nothing else (no
# data, no library call), so that the baseline executable holds exactly what
# the host brings and every extra load-time entry point is the submission's.
EMPTY_ALLOCATOR = b"""/* The empty allocator: the baseline of the linked-executable checks. */
#include <stddef.h>
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
"""
_baselines: dict = {}


_baseline_lock = threading.Lock()


def baseline_executable(cfg: Config, hostlib: Path, workdir: Path | None = None, *,
                        ldflags=()) -> Path:
    """The host linked with EMPTY_ALLOCATOR, built the same way as a
    submission (same compiler, flags, objcopy, link), into workdir; cached
    per process while the host library is unchanged (workdir None: a
    directory of this process under build/grade/).  Raises
    DriverLibraryError when it cannot be built (a kit problem)."""
    with _baseline_lock:
        return _baseline(cfg, Path(hostlib), workdir, tuple(ldflags))


def _baseline(cfg: Config, hostlib: Path, workdir: Path | None, ldflags: tuple) -> Path:
    st = hostlib.stat()
    key = (str(hostlib), st.st_mtime_ns, st.st_size, cfg.compiler(), tuple(cfg.cflags), tuple(ldflags),
           tuple(cfg.contract))
    cached = _baselines.get(key)
    if cached is not None and cached.exists():
        return cached
    if workdir is None:
        root = REPO_ROOT / "build" / "grade"
        root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"baseline.{os.getpid()}.", dir=root))
        atexit.register(shutil.rmtree, str(workdir), True)
    workdir.mkdir(parents=True, exist_ok=True)
    obj = workdir / "empty.o"
    r = compile_object(EMPTY_ALLOCATOR, cfg, "(empty allocator)", obj)
    if not r.ok:
        raise DriverLibraryError(f"the empty allocator does not compile: {r.reason}")
    ok, exe, text = link_allocator(obj, workdir, cfg, hostlib, ldflags=ldflags, exe_name="baseline")
    if not ok or exe is None:
        raise DriverLibraryError(f"the baseline executable does not link: {text.strip()[-500:]}")
    _baselines[key] = exe
    return exe


def compile_submission(submission: Path, workdir: Path, cfg: Config,
                       libdriver: Path = LIBDRIVER, shown: str | None = None) -> BuildResult:
    """Compile (confined) and link; never raises for a bad submission."""
    shown = shown or str(submission)
    source = find_source(submission)
    if source is None:
        what = "no such file" if not submission.exists() else "no my_alloc.c (or single .c file) in it"
        return BuildResult(ok=False, reason=f"{shown}: {what}",
                           diagnostics=[Diagnostic("error", f"{what}", shown)])
    if source != submission:
        shown = str(source) if shown == str(submission) else os.path.join(shown, source.relative_to(submission))
    try:
        size = source.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise ValueError(f"{size} bytes, above the limit of {MAX_SOURCE_BYTES}")
        with open(source, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            raise ValueError(f"above the limit of {MAX_SOURCE_BYTES} bytes")
    except (OSError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return BuildResult(ok=False, reason=f"{shown}: cannot be read ({why})",
                           diagnostics=[Diagnostic("error", f"cannot be read ({why})", shown)])
    workdir.mkdir(parents=True, exist_ok=True)
    obj = workdir / "my_alloc.o"
    for stale in (obj, workdir / "allocator.o", workdir / "allocator", workdir / "driver"):
        if stale.exists():
            stale.unlink()
    result = compile_object(data, cfg, shown, obj)
    if not result.ok:
        return result
    result.ok = False
    ok, exe, ltext = link_allocator(obj, workdir, cfg, libdriver)
    result.output = (result.output + ltext)[-OUTPUT_CAP:]
    if not ok or exe is None:
        ldiags = parse_diagnostics(ltext, SOURCE_NAME, shown) or [Diagnostic("error", ltext.strip()[-500:])]
        result.diagnostics += ldiags[:MAX_DIAGNOSTICS]
        e = ldiags[0]
        loc = f"{e.file}:{e.line}: " if e.line else ""
        result.reason = f"link failed: {loc}{e.message}"
        return result
    # `driver`: the checker on this allocator (what the runner, the shrinker
    # and the failure hooks call "the driver" of a submission)
    link.write_driver_script(workdir / "driver", exe, CHECKER)
    result.ok, result.driver, result.allocator = True, str(workdir / "driver"), str(exe)
    return result
