"""grader/isolate.py: every layer that works on this machine runs real
commands confined and bounded.

Each test runs in every layer this machine has (bwrap, landlock, unshare,
uid, rlimits as available) and asserts what that layer promises: the whole
process group gone after a timeout, output capped in the grader's memory,
the memory limit, an environment of four variables, and for the layers with
a private view, no kit file, no file beside the work directory and no
network reachable.  Which layer the machine gets is asserted too, so a
machine that silently lost bubblewrap fails here.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import isolate  # noqa: E402

LAYERS = [layer for layer in isolate.available_layers() if not isolate._try_layer(layer)]
PRIVATE_VIEW = {"bwrap", "landlock"}
NAMESPACED = {"bwrap", "landlock", "unshare"}


def run(layer, argv, workdir, **kw):
    kw.setdefault("timeout_s", 20)
    kw.setdefault("output_cap", 1 << 16)
    kw.setdefault("memory_bytes", 1 << 30)
    return isolate.run_confined(argv, workdir=workdir, layer=layer, **kw)


@pytest.fixture
def workdir():
    """A work directory in /tmp, reachable by NOBODY_UID (pytest's own
    tmp_path is not: bwrap would then run as root, see test below)."""
    top = tempfile.mkdtemp(prefix="isolate-test-")
    os.chmod(top, 0o755)
    d = Path(top) / "work"
    d.mkdir()
    yield d
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the directory to another uid")
def test_unreachable_directory_runs_bwrap_as_root_and_says_so(tmp_path):
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    c = isolate.run_confined(["sh", "-c", "echo in"], workdir=hidden, timeout_s=10, output_cap=100,
                             memory_bytes=1 << 30, layer="bwrap")
    assert c.ok and c.output == b"in\n"
    assert c.notes and "not reachable by uid 65534" in c.notes[0]


def processes_with(marker: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if marker.encode() in (p / "cmdline").read_bytes():
                out.append(int(p.name))
        except OSError:
            pass
    return out


def test_this_machine_gets_bubblewrap():
    """tools/install-deps.sh installs bubblewrap and it works here: the
    strongest layer, and the probe reports it."""
    assert shutil.which("bwrap"), "bubblewrap is missing (tools/install-deps.sh)"
    layer, notes = isolate.probe_layer()
    assert layer == "bwrap", notes
    assert isolate.layer_summary().startswith("bwrap (")


def test_a_forced_layer_that_cannot_work_is_an_error(monkeypatch):
    monkeypatch.setenv("SLABLAB_ISOLATION", "nonsense")
    with pytest.raises(isolate.IsolationError, match="nonsense"):
        isolate.probe_layer()


@pytest.mark.parametrize("layer", LAYERS)
def test_runs_and_reports_its_layer(layer, workdir):
    c = run(layer, ["sh", "-c", "echo hello; echo err >&2; exit 3"], workdir)
    assert c.layer == layer
    assert c.returncode == 3 and not c.timed_out and not c.truncated
    assert c.output == b"hello\nerr\n"


@pytest.mark.parametrize("layer", LAYERS)
def test_environment_is_scrubbed_and_stdin_is_empty(layer, workdir, monkeypatch):
    monkeypatch.setenv("SLABLAB_SECRET_TOKEN", "hunter2")
    c = run(layer, ["sh", "-c", "env; cat"], workdir)
    names = sorted(line.split("=", 1)[0] for line in c.output.decode().splitlines())
    assert b"hunter2" not in c.output
    assert set(names) - {"PWD", "SHLVL", "_", "OLDPWD"} == {"HOME", "LC_ALL", "PATH", "TMPDIR"}


@pytest.mark.parametrize("layer", LAYERS)
def test_timeout_kills_the_whole_group(layer, workdir):
    """The cc1-outlives-cc bug: a child and a grandchild of the command must
    be gone when run_confined returns after a timeout."""
    marker = "31.%d" % (uuid.uuid4().int % 10**9)
    t0 = time.monotonic()
    c = run(layer, ["sh", "-c", f"sleep {marker} & (sleep {marker} &) ; sleep {marker}"], workdir,
            timeout_s=1.0)
    assert c.timed_out and c.describe().startswith("timed out")
    assert time.monotonic() - t0 < 5
    deadline = time.monotonic() + 3
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []


@pytest.mark.parametrize("layer", sorted(NAMESPACED & set(LAYERS)))
def test_a_new_session_does_not_escape_a_pid_namespace(layer, workdir):
    """setsid leaves the process group; only the PID namespace catches it."""
    marker = "32.%d" % (uuid.uuid4().int % 10**9)
    c = run(layer, ["sh", "-c", f"setsid sleep {marker} & sleep 0.2; exit 0"], workdir, timeout_s=10)
    assert c.returncode == 0
    deadline = time.monotonic() + 3
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_output_is_capped_while_it_is_read(layer, workdir):
    c = run(layer, ["sh", "-c", "yes 1234567 | head -c 50000000"], workdir, output_cap=4096,
            timeout_s=60)
    assert c.returncode == 0
    assert c.output == b"1234567\n" * 512 and c.truncated and c.output_bytes == 50_000_000


@pytest.mark.parametrize("layer", LAYERS)
def test_memory_limit(layer, workdir):
    grab = "python3 -c 'b = bytearray(512 << 20); print(len(b))'"
    small = run(layer, ["sh", "-c", grab], workdir, memory_bytes=256 << 20)
    assert small.returncode != 0 and b"MemoryError" in small.output
    big = run(layer, ["sh", "-c", grab], workdir, memory_bytes=2 << 30)
    assert big.returncode == 0 and big.output.strip() == str(512 << 20).encode()


@pytest.mark.parametrize("layer", LAYERS)
def test_cpu_and_file_size_limits(layer, workdir):
    spin = run(layer, ["sh", "-c", "while :; do :; done"], workdir, timeout_s=20, cpu_s=1)
    assert spin.returncode == -9 or spin.returncode == -24, spin      # SIGKILL / SIGXCPU
    assert not spin.timed_out
    big = run(layer, ["sh", "-c", "yes | head -c 10000000 > big"], workdir, fsize_bytes=1 << 20)
    assert big.returncode != 0
    assert (workdir / "big").stat().st_size == 1 << 20


@pytest.mark.parametrize("layer", sorted(PRIVATE_VIEW & set(LAYERS)))
def test_private_view(layer, workdir):
    """The kit, a file beside the work directory, /root and /work are not
    there; the work directory is writable; /usr is not."""
    beside = workdir.parent / "beside.txt"
    beside.write_text("secret beside")
    os.chmod(beside, 0o644)
    kit_file = REPO / "solution" / "my_alloc.c"
    script = (f"cat {kit_file} {beside} 2>/dev/null; ls {REPO} 2>/dev/null; "
              "echo written > mine.txt && cat mine.txt; touch /usr/pwned 2>/dev/null && echo usr-writable; "
              "echo done")
    c = run(layer, ["sh", "-c", script], workdir, hide=(str(REPO),))
    out = c.output.decode()
    assert out == "written\ndone\n", out
    assert (workdir / "mine.txt").read_text() == "written\n"
    assert not Path("/usr/pwned").exists()


@pytest.mark.parametrize("layer", sorted(NAMESPACED & set(LAYERS)))
def test_no_network(layer, workdir):
    """A TCP server of the grader on 127.0.0.1 is unreachable from inside
    (another network namespace has its own loopback)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    accepted = []
    srv.settimeout(5)

    def accept():
        try:
            accepted.append(srv.accept())
        except OSError:
            pass
    t = threading.Thread(target=accept)
    t.start()
    probe = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=2)\n"
             "    print('connected')\nexcept OSError as e:\n    print('refused', e)\n") % port
    c = run(layer, ["python3", "-c", probe], workdir)
    srv.close()
    t.join()
    assert b"refused" in c.output and not accepted
    # and the same probe does connect when network=True (the test can fail)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port2 = srv.getsockname()[1]
    c2 = run(layer, ["python3", "-c", probe.replace(str(port), str(port2))], workdir, network=True)
    srv.close()
    assert b"connected" in c2.output


@pytest.mark.skipif(os.geteuid() != 0, reason="the dedicated uid is for a grader running as root")
@pytest.mark.parametrize("layer", sorted(set(LAYERS) - {"rlimits"}))
def test_as_root_the_command_runs_unprivileged(layer, workdir):
    root_only = workdir.parent / "root-only.txt"
    root_only.write_text("root secret")
    os.chmod(root_only, 0o600)
    c = run(layer, ["sh", "-c", f"id -u; cat {root_only} 2>/dev/null; echo end"], workdir)
    lines = c.output.decode().split()
    assert lines[0] == str(isolate.NOBODY_UID) and "root" not in c.output.decode()
    assert lines[-1] == "end"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
@pytest.mark.parametrize("layer", ["auto", "bwrap", "landlock", "unshare"])
def test_works_for_a_grader_that_is_not_root(layer):
    """A non-root grader (a student's machine) gets the same layers: run the
    probe and a command as uid NOBODY_UID in a fresh interpreter; the
    private-view layers must not show the kit."""
    if layer != "auto" and layer not in LAYERS:
        pytest.skip(f"{layer} does not work on this machine even as root")
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from grader import isolate\n"
            "layer, notes = isolate.probe_layer()\n"
            "import os, tempfile\n"
            "d = tempfile.mkdtemp()\n"
            "c = isolate.run_confined(['sh', '-c', 'head -c 40 %s 2>/dev/null; echo; echo ok'], workdir=d,\n"
            "    timeout_s=20, output_cap=4096, memory_bytes=1 << 30)\n"
            "print(layer, c.layer, c.output.decode().split())\n"
            "import shutil; shutil.rmtree(d)\n") % (str(REPO), str(REPO / "solution" / "my_alloc.c"))
    env = {"PATH": "/usr/bin:/bin"}
    if layer != "auto":
        env["SLABLAB_ISOLATION"] = layer
    p = subprocess.run(["setpriv", f"--reuid={isolate.NOBODY_UID}", f"--regid={isolate.NOBODY_GID}",
                        "--clear-groups", "/usr/bin/python3", "-c", code], capture_output=True,
                       text=True, timeout=120, cwd="/", env=env)
    assert p.returncode == 0, p.stderr
    got, used, rest = p.stdout.split(" ", 2)
    assert got == used == ("bwrap" if layer == "auto" else layer), p.stdout
    if used in PRIVATE_VIEW:
        assert eval(rest) == ["ok"]
    else:   # the documented limit: no private view, the world-readable kit shows
        assert "ok" in eval(rest) and len(eval(rest)) > 1


def test_command_not_found_is_reported_not_raised(workdir):
    c = isolate.run_confined(["/nonexistent/cc"], workdir=workdir, timeout_s=5, output_cap=100,
                             memory_bytes=1 << 30, layer="rlimits")
    assert not c.ok and "cannot start" in c.error


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid layer is root's")
def test_a_weak_layer_is_reported_in_the_grade(tmp_path):
    """Forced down to the uid layer, the grade says so in its notes and its
    JSON; with the machine's own layer (bwrap) there is no such note."""
    import json
    docs = {}
    for forced in ("uid", ""):
        env = dict(os.environ)
        env.pop("SLABLAB_ISOLATION", None)
        if forced:
            env["SLABLAB_ISOLATION"] = forced
        out = tmp_path / f"{forced or 'auto'}.json"
        subprocess.run([sys.executable, "-m", "grader", str(REPO / "starter" / "my_alloc.c"), "-f",
                        str(REPO / "traces" / "short-01-one-block.rep"), "--no-timing", "-q",
                        "--json", str(out), "--workdir", str(tmp_path / "w")],
                       cwd=REPO, env=env, capture_output=True, timeout=300)
        docs[forced] = json.loads(out.read_text())
    assert docs["uid"]["build"]["isolation"] == "uid"
    assert any(n.startswith("the compiler ran with weak isolation: uid (") for n in docs["uid"]["notes"])
    assert docs[""]["build"]["isolation"] == "bwrap"
    assert not any("weak isolation" in n for n in docs[""]["notes"])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to write beneath /usr")
def test_a_secret_beneath_a_system_directory_is_hidden(workdir):
    """A TA's hidden traces kept beneath /usr (hidden_dir may be absolute)
    are masked under bwrap; Landlock cannot mask them and refuses; without
    `hide` they show (so the test can fail)."""
    secret_dir = Path(tempfile.mkdtemp(prefix="slablab-hidden-", dir="/usr/local/share"))
    try:
        os.chmod(secret_dir, 0o755)
        (secret_dir / "hidden-1.rep").write_text("a 0 16\n")
        os.chmod(secret_dir / "hidden-1.rep", 0o644)
        script = f"cat {secret_dir}/hidden-1.rep 2>/dev/null; echo end"
        shown = run("bwrap", ["sh", "-c", script], workdir)
        assert shown.output == b"a 0 16\nend\n"
        masked = run("bwrap", ["sh", "-c", script], workdir, hide=(str(secret_dir),))
        assert masked.output == b"end\n"
        if "landlock" in LAYERS:
            with pytest.raises(isolate.IsolationError, match="landlock cannot hide"):
                run("landlock", ["true"], workdir, hide=(str(secret_dir),))
    finally:
        shutil.rmtree(secret_dir)
