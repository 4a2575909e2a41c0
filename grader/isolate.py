"""Running an untrusted command confined and bounded: run_confined().

The grader runs two kinds of untrusted commands: the compiler on a
submission (a C file can make the preprocessor and assembler read any path
it names) and valgrind on a student-linked binary.  Both go through
run_confined(), which gives them, in every layer:

  * a fresh process group (and a PID namespace where a layer has one), all
    of it killed on a timeout or when the command ends: cc1 never outlives
    cc, a forked child never outlives its parent;
  * rlimits: address space, CPU seconds, file size, processes, no core;
  * stdin /dev/null, stdout+stderr merged into one pipe that is read
    incrementally; at most `output_cap` bytes are kept (the rest is counted
    and dropped), so the grader's memory is bounded whatever it prints;
  * an environment of PATH, LC_ALL=C, HOME/TMPDIR = the work directory;
  * a view of the file system of: the system's program directories
    (/usr, /bin, /lib*, /etc/alternatives, ld.so's cache) read-only, the
    work directory read-write, `read_only` extras -- and nothing else.

How the view is made depends on the machine.  The layers, strongest first;
probe_layer() tries each once per process with a real command and the first
that works is used and REPORTED in every Completed.layer (never silent):

  bwrap      bubblewrap: new user, mount, PID, network, IPC, UTS namespaces,
             a root holding only the binds above (work directory at
             /sandbox), /dev holding only null.  As root, bwrap itself is
             started as the unprivileged uid NOBODY_UID (the work directory
             is handed to it), so the process-count limit applies and no
             root capability exists anywhere inside.
  landlock   util-linux `unshare` (PID, network, IPC, UTS namespaces; a user
             namespace when not root) and a Landlock ruleset (kernel >= 5.13)
             that allows read/execute only beneath the system directories and
             everything beneath the work directory; signals and abstract
             sockets out of the domain are blocked where the ABI has scopes
             (>= 6), TCP where it has network rules (>= 4).  As root, the
             command runs as NOBODY_UID (setpriv).
  unshare    the namespaces of `landlock` without its file-system rules: the
             whole file system is visible as file permissions allow.
  uid        root only, no namespaces: the command runs as NOBODY_UID; it can
             read whatever is world-readable.
  rlimits    nothing but the limits and the process group.

SLABLAB_ISOLATION=<layer> forces one layer (tests try each; a forced layer
that does not work here is an IsolationError, never a silent fallback).
Invariant: argv refers to files in the work directory by RELATIVE paths
(the command starts in it, and under bwrap it is at /sandbox).
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

NOBODY_UID = 65534
NOBODY_GID = 65534
SANDBOX_DIR = "/sandbox"          # where bwrap shows the work directory
LAYERS = ("bwrap", "landlock", "unshare", "uid", "rlimits")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
               "/etc/alternatives")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf")
PATH = "/usr/local/bin:/usr/bin:/bin"


class IsolationError(Exception):
    """The requested isolation cannot be set up (a kit/machine problem)."""


@dataclass
class Completed:
    returncode: int | None      # exit status; -N for death by signal N; None if never started
    output: bytes               # stdout+stderr merged, at most output_cap bytes
    truncated: bool             # more was printed than output_cap (output_bytes says how much)
    timed_out: bool
    layer: str                  # which isolation layer ran it (see module doc)
    output_bytes: int = 0       # everything the command printed
    elapsed_s: float = 0.0
    error: str = ""             # could not start (e.g. command not found)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.error

    def describe(self) -> str:
        """One line for a report: why the command did not succeed."""
        if self.error:
            return self.error
        if self.timed_out:
            return "timed out (all its processes were killed)"
        rc = self.returncode
        if rc is not None and rc < 0:
            sig = -rc
            why = {signal.SIGXCPU: "CPU time limit exceeded", signal.SIGXFSZ: "file size limit exceeded",
                   signal.SIGKILL: "killed (memory or CPU limit)",
                   signal.SIGSEGV: "crashed (often the memory limit)"}.get(sig, "")
            return f"killed by signal {sig}" + (f" ({why})" if why else "")
        return f"exit status {rc}"


# --------------------------------------------------------------------------
# Landlock through raw system calls (x86-64 and aarch64 share the numbers)

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_LL_CREATE_RULESET_VERSION = 1
_LL_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ALL_V1 = (1 << 13) - 1        # EXECUTE .. MAKE_SYM
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_ALL = 0b11                   # BIND_TCP | CONNECT_TCP
_SCOPE_ALL = 0b11                 # ABSTRACT_UNIX_SOCKET | SIGNAL
_PR_SET_NO_NEW_PRIVS = 38
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_LIBC = []


def _libc():
    """libc through ctypes, loaded once in the grader (never first between
    fork and exec, where another thread's dlopen lock could be held)."""
    if not _LIBC:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.syscall.restype = ctypes.c_long
        _LIBC.append(lib)
    return _LIBC[0]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when it has none."""
    try:
        libc = _libc()
        libc.syscall.restype = ctypes.c_long
        v = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                         ctypes.c_uint32(_LL_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return int(v) if v > 0 else 0


def _fs_mask(abi: int) -> int:
    m = _FS_ALL_V1
    if abi >= 2:
        m |= _FS_REFER
    if abi >= 3:
        m |= _FS_TRUNCATE
    if abi >= 5:
        m |= _FS_IOCTL_DEV
    return m


def make_ruleset(read_dirs, write_dirs, rw_files=("/dev/null",), network: bool = False) -> int:
    """A Landlock ruleset fd (close-on-exec, made in the grader): read and
    execute beneath read_dirs, everything beneath write_dirs, read/write
    rw_files; no TCP unless network (where the ABI has network rules).  The child only applies it (apply_ruleset), so nothing heavy
    runs between fork and exec.  Raises IsolationError."""
    abi = landlock_abi()
    if abi < 1:
        raise IsolationError("the kernel has no Landlock")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    fs = _fs_mask(abi)
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 and not network else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    rfd = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                       ctypes.c_uint32(0))
    if rfd < 0:
        raise IsolationError(f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    os.set_inheritable(rfd, False)

    def allow(path: str, rights: int):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return                                  # an absent system dir is fine
        try:
            if not os.path.isdir(path):
                rights &= _FILE_RIGHTS
            pb = _PathBeneath(rights & fs, fd)
            r = libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(rfd),
                             ctypes.c_int(_LL_RULE_PATH_BENEATH), ctypes.byref(pb), ctypes.c_uint32(0))
            if r < 0:
                err = os.strerror(ctypes.get_errno())
                os.close(rfd)
                raise IsolationError(f"landlock_add_rule {path}: {err}")
        finally:
            os.close(fd)

    for d in read_dirs:
        allow(d, _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR)
    for d in write_dirs:
        allow(d, fs)
    for f in rw_files:
        allow(f, _FS_READ_FILE | _FS_WRITE_FILE)
    return rfd


def apply_ruleset(rfd: int) -> None:
    """In the child, between fork and exec: no new privileges, then Landlock."""
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(rfd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")


# --------------------------------------------------------------------------
# Building the command line of each layer

def _is_root() -> bool:
    return os.geteuid() == 0


def _under(path: str, top: str) -> bool:
    path, top = os.path.realpath(path), os.path.realpath(top)
    return path == top or path.startswith(top.rstrip("/") + "/")


def reachable_by_nobody(path: str) -> bool:
    """Whether NOBODY_UID can walk to path (every ancestor searchable by
    others): bwrap started as that uid must resolve its bind sources."""
    p = os.path.realpath(path)
    while True:
        parent = os.path.dirname(p)
        if parent == p:
            return True
        st = os.stat(parent)
        if not (st.st_mode & 0o001 or (st.st_uid == NOBODY_UID and st.st_mode & 0o100)):
            return False
        p = parent


def _bwrap_argv(workdir_fd: int, read_only, hide, network: bool, argv, proc: bool = False) -> list[str]:
    a = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if network:
        a.append("--share-net")
    if proc:                                # the PID namespace's own /proc (valgrind reads its maps)
        a += ["--proc", "/proc"]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):               # merged /usr: /lib -> usr/lib
            a += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            a += ["--ro-bind", d, d]
    for f in SYSTEM_FILES:
        if os.path.exists(f):
            a += ["--ro-bind", f, f]
    for p in read_only:
        a += ["--ro-bind", str(p), str(p)]
    for h in hide:                          # a secret that lives beneath a bound directory
        if os.path.isdir(h) and any(_under(h, d) for d in list(SYSTEM_DIRS) + [str(p) for p in read_only]):
            a += ["--tmpfs", os.path.realpath(h)]
    a += ["--dev-bind", "/dev/null", "/dev/null",
          "--bind-fd", str(workdir_fd), SANDBOX_DIR, "--chdir", SANDBOX_DIR,
          "--clearenv", "--setenv", "PATH", PATH, "--setenv", "LC_ALL", "C",
          "--setenv", "HOME", SANDBOX_DIR, "--setenv", "TMPDIR", SANDBOX_DIR, "--", *argv]
    return a


def _unshare_argv(network: bool, argv) -> list[str]:
    a = ["unshare", "--pid", "--ipc", "--uts", "--fork", "--kill-child"]
    if not network:
        a.append("--net")
    # Not root: the child enters a user namespace itself (_preexec) before
    # Landlock, which would forbid writing its uid_map afterwards.
    a.append("--")
    if _is_root():
        a += ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_GID}", "--clear-groups", "--"]
    # util-linux unshare mis-reports a child killed by a signal (it fails to
    # re-raise it and exits 1); a shell in between turns it into 128 + N.
    return a + ["sh", "-c", '"$@"; exit $?', "sh"] + list(argv)


@dataclass
class _Plan:
    argv: list
    env: dict
    cwd: str | None
    pass_fds: tuple
    ruleset: int | None
    drop_uid: bool
    userns: bool = False        # the child enters a user namespace of its own first
    note: str = ""


def _plan(layer: str, argv, workdir: str, workdir_fd: int, read_only, hide, network: bool,
          proc: bool = False) -> _Plan:
    env = {"PATH": PATH, "LC_ALL": "C", "HOME": workdir, "TMPDIR": workdir}
    if layer == "bwrap":
        # As root, bwrap runs as NOBODY_UID when it can reach the directory;
        # otherwise as root with every capability dropped (a note says so).
        nobody = _is_root() and reachable_by_nobody(workdir) and \
            all(reachable_by_nobody(str(p)) for p in read_only)
        plan = _Plan(_bwrap_argv(workdir_fd, read_only, hide, network, argv, proc), {"PATH": PATH}, "/",
                     (workdir_fd,), None, nobody)
        if _is_root() and not nobody:
            plan.note = (f"bwrap ran as root without capabilities: {workdir} is not reachable by "
                         f"uid {NOBODY_UID}")
        return plan
    if layer in ("landlock", "unshare"):
        ruleset = None
        if layer == "landlock":
            for h in hide:
                if any(_under(h, d) for d in list(SYSTEM_DIRS) + [str(p) for p in read_only]):
                    raise IsolationError(f"landlock cannot hide {h}: it lies beneath a system directory")
            # /proc when asked: Landlock's ptrace rule keeps other processes'
            # environ/mem/maps closed; cmdline and status stay readable.
            ruleset = make_ruleset(list(SYSTEM_DIRS) + list(SYSTEM_FILES) + [str(p) for p in read_only]
                                   + (["/proc"] if proc else []), [workdir], network=network)
        return _Plan(_unshare_argv(network, argv), env, workdir, (), ruleset, False, not _is_root())
    if layer == "uid":
        if not _is_root():
            raise IsolationError("the uid layer needs root")
        return _Plan(list(argv), env, workdir, (), None, True)
    if layer == "rlimits":
        return _Plan(list(argv), env, workdir, (), None, False)
    raise IsolationError(f"unknown isolation layer {layer!r} (known: {', '.join(LAYERS)})")


def _hand_to_nobody(workdir: str) -> None:
    """As root, a run as NOBODY_UID must be able to write its directory."""
    os.chown(workdir, NOBODY_UID, NOBODY_GID)
    for top, dirs, files in os.walk(workdir):
        for n in dirs + files:
            os.lchown(os.path.join(top, n), NOBODY_UID, NOBODY_GID)


_CLONE_NEWUSER = 0x10000000


def _enter_userns() -> None:
    """In the child: a user namespace in which our uid is 0, so that the
    util-linux `unshare` exec'd next keeps the capabilities (across execve
    only uid 0 keeps them) to make PID and network namespaces.  Outside, the
    process is still our own unprivileged uid."""
    uid = os.getuid()
    libc = _libc()
    if libc.unshare(_CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    fd = os.open("/proc/self/uid_map", os.O_WRONLY)
    try:
        os.write(fd, f"0 {uid} 1".encode())
    finally:
        os.close(fd)


def _preexec(memory_bytes: int | None, cpu_s: float | None, fsize: int | None, nproc: int | None,
             ruleset: int | None, drop_uid: bool, userns: bool = False):
    cpu = None if cpu_s is None else max(1, int(cpu_s + 0.999))
    if userns or ruleset is not None:
        _libc()                 # loaded here, in the parent

    def child() -> None:    # between fork and exec: only system calls, no allocation-heavy work
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if userns:
            _enter_userns()
        if ruleset is not None:
            apply_ruleset(ruleset)      # before the uid drop: Landlock needs no privilege
        if drop_uid:
            os.setgroups([])
            os.setgid(NOBODY_GID)
            os.setuid(NOBODY_UID)
    return child


# --------------------------------------------------------------------------
# Probing

_probe_lock = threading.Lock()
_probed: dict = {}


def available_layers() -> list[str]:
    """The layers that could work here, by what is installed (not yet tried)."""
    out = []
    if shutil.which("bwrap"):
        out.append("bwrap")
    if shutil.which("unshare") and (not _is_root() or shutil.which("setpriv")):
        if landlock_abi() >= 1:
            out.append("landlock")
        out.append("unshare")
    if _is_root():
        out.append("uid")
    out.append("rlimits")
    return out


def _try_layer(layer: str) -> str:
    """"" when `layer` really runs a command here (and confines it), else why not."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="isolate-probe-") as d:
        secret = os.path.join(d, "secret")
        os.mkdir(os.path.join(d, "work"))
        with open(secret, "w") as f:
            f.write("s")
        os.chmod(d, 0o755)
        os.chmod(secret, 0o644)
        # A layer with a private view must not show a readable file next to the work dir.
        script = f"echo probe-ok; cat {secret} 2>/dev/null && echo secret-visible; exit 0"
        try:
            c = _run(layer, ["sh", "-c", script], os.path.join(d, "work"), (), (), 10.0, 4096,
                     1 << 30, 10, False, 64 << 20, 64)
        except (IsolationError, OSError) as e:
            return str(e)
        if not c.ok or b"probe-ok" not in c.output:
            return f"{layer}: probe failed ({c.describe()}: {c.output[:200].decode(errors='replace')})"
        if layer in ("bwrap", "landlock") and b"secret-visible" in c.output:
            return f"{layer}: probe could read a file outside its view"
    return ""


def probe_layer() -> tuple[str, list[str]]:
    """(the strongest layer that works here, notes on the stronger ones that
    did not).  Once per process; SLABLAB_ISOLATION forces a layer."""
    forced = os.environ.get("SLABLAB_ISOLATION", "").strip()
    key = forced or "auto"
    with _probe_lock:
        if key in _probed:
            return _probed[key]
        if forced:
            if forced not in LAYERS:
                raise IsolationError(f"SLABLAB_ISOLATION={forced}: not one of {', '.join(LAYERS)}")
            why = _try_layer(forced)
            if why:
                raise IsolationError(f"SLABLAB_ISOLATION={forced} does not work here: {why}")
            _probed[key] = (forced, [])
            return _probed[key]
        notes = []
        for layer in available_layers():
            why = _try_layer(layer)
            if not why:
                _probed[key] = (layer, notes)
                return _probed[key]
            notes.append(why)
        raise IsolationError("no isolation layer works, not even rlimits: " + "; ".join(notes))


# --------------------------------------------------------------------------
# Running

def run_confined(argv, *, workdir, read_only=(), hide=(), timeout_s: float, output_cap: int,
                 memory_bytes: int | None, cpu_s: float | None = None, network: bool = False,
                 fsize_bytes: int | None = 256 << 20, nproc: int = 64, layer: str | None = None,
                 proc: bool = False) -> Completed:
    """Run argv (relative paths into workdir) confined; see the module doc.
    `hide`: secret directories that must stay invisible even if they lie
    beneath a system directory.  `proc`: show a /proc (valgrind needs one).  Never raises for what the command does;
    raises IsolationError when no layer can be set up."""
    if layer is None:
        layer, _ = probe_layer()
    workdir = os.path.realpath(str(workdir))
    return _run(layer, list(argv), workdir, tuple(read_only), tuple(hide), timeout_s, output_cap,
                memory_bytes, cpu_s if cpu_s is not None else timeout_s, network, fsize_bytes, nproc,
                proc)


def _run(layer, argv, workdir, read_only, hide, timeout_s, output_cap, memory_bytes, cpu_s, network,
         fsize, nproc, proc=False) -> Completed:
    wfd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    plan = None
    try:
        plan = _plan(layer, argv, workdir, wfd, read_only, hide, network, proc)
        if plan.drop_uid or (layer in ("landlock", "unshare") and _is_root()):
            _hand_to_nobody(workdir)
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(plan.argv, cwd=plan.cwd, env=plan.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True, pass_fds=plan.pass_fds, close_fds=True,
                                    preexec_fn=_preexec(memory_bytes, cpu_s, fsize, nproc,
                                                        plan.ruleset, plan.drop_uid, plan.userns))
        except OSError as e:
            return Completed(None, b"", False, False, layer,
                             error=f"{argv[0] if layer in ('uid', 'rlimits') else plan.argv[0]}: "
                                   f"cannot start ({e.strerror or e})")
        output, total, timed_out = _collect(proc, timeout_s, output_cap)
        rc = proc.returncode
        if layer in ("bwrap", "landlock", "unshare") and rc is not None and 128 < rc < 128 + 65:
            rc = -(rc - 128)    # the namespace's init reports a death by signal N as 128 + N
        return Completed(rc, output, total > len(output), timed_out, layer,
                         output_bytes=total, elapsed_s=time.monotonic() - t0,
                         notes=[plan.note] if plan.note else [])
    finally:
        os.close(wfd)
        if plan is not None and plan.ruleset is not None:
            os.close(plan.ruleset)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def _collect(proc: subprocess.Popen, timeout_s: float, cap: int) -> tuple[bytes, int, bool]:
    """Read the merged output until EOF or the deadline, keeping at most cap
    bytes; then make sure nothing of the process group is left."""
    deadline = time.monotonic() + timeout_s
    fd = proc.stdout.fileno()
    kept = bytearray()
    total = 0
    timed_out = False
    poller = select.poll()      # not select(): a busy grader may hold descriptors past 1024
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if not poller.poll(int(min(left, 0.5) * 1000) + 1):
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                break
            if not chunk:
                break
            total += len(chunk)
            room = cap - len(kept)
            if room > 0:
                kept += chunk[:room]
        if not timed_out:
            # EOF: every writer is gone; the main process ends promptly.
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        _kill_group(proc)       # stragglers of the group, and everything on a timeout
        proc.stdout.close()
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    return bytes(kept), total, timed_out


def layer_summary() -> str:
    """For reports and the README's table: e.g. 'bwrap (namespaces, private root, uid 65534)'."""
    try:
        layer, notes = probe_layer()
    except IsolationError as e:
        return f"none ({e})"
    what = {"bwrap": "bubblewrap namespaces, private root view",
            "landlock": "PID/net namespaces, Landlock file-system rules",
            "unshare": "PID/net namespaces, whole file system visible",
            "uid": "unprivileged uid only, whole file system visible",
            "rlimits": "limits and process group only, nothing confined"}[layer]
    if _is_root() and layer != "rlimits":
        what += f", uid {NOBODY_UID}"
    return f"{layer} ({what})" + (f"; stronger layers failed: {'; '.join(notes)}" if notes else "")
