"""The recorder (grader/recorder/) on small C programs whose allocations are known.

Each test compiles a program, runs it plainly and under record.py, and checks
(1) the program's output and exit status are unchanged, (2) the trace of every
process is exactly what the program's calls imply, and (3) the C reader (the
driver's --lint) accepts every trace.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "traces"))
import tracekit  # noqa: E402

LIB = ROOT / "build" / "librecorder.so"
DRIVER = ROOT / "build" / "driver-solution"

# Every call kind, realloc's corner cases, a block left live at exit, malloc(0),
# a fork whose child frees a parent block and leaves through _exit.  Output goes
# through write(2) only, so stdio never allocates a buffer behind our back.
KNOWN = r"""
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static void say(const char *s) { if (write(1, s, strlen(s)) < 0) _exit(3); }
int main(void)
{
    char *p = malloc(10);                  /* a 0 10  */
    char *q = calloc(3, 8);                /* a 1 24  */
    p = realloc(p, 100);                   /* r 0 100 */
    free(q);                               /* f 1     */
    void *r;
    if (posix_memalign(&r, 64, 200)) return 1;   /* a 2 200 */
    void *s = aligned_alloc(32, 64);       /* a 3 64  */
    free(p);                               /* f 0     */
    char *t = realloc(NULL, 50);           /* a 4 50  */
    t = realloc(t, 0);                     /* f 4     */
    free(t);                               /* NULL: nothing */
    void *z = malloc(0);                   /* left out */
    free(z);                               /* ... with its free */
    char *keep = malloc(7);                /* a 5 7, freed in the child only */
    pid_t pid = fork();
    if (pid == 0) {
        free(keep);                        /* child: pre-recording memory, dropped */
        void *c = malloc(77);              /* child: a 0 77 */
        free(c);                           /* child: f 0    */
        void *leak = malloc(33);           /* child: a 1 33, live at _exit */
        (void)leak;
        say("child done\n");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    free(r);                               /* f 2 */
    (void)s;                               /* s and keep live at exit */
    say("parent done\n");
    return 5;
}
"""

PARENT = ["a 0 10", "a 1 24", "r 0 100", "f 1", "a 2 200", "a 3 64", "f 0", "a 4 50", "f 4",
          "a 5 7", "f 2", "f 3", "f 5"]
CHILD = ["a 0 77", "f 0", "a 1 33", "f 1"]

THREADS = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#define ROUNDS 3000
static void *work(void *arg)
{
    long k = (long)arg;
    unsigned long sum = 0;
    char *slot[50] = {0};
    for (int i = 0; i < ROUNDS; i++) {
        int j = (i * 7) % 50;
        if (slot[j]) { sum += (unsigned char)slot[j][0]; free(slot[j]); }
        slot[j] = malloc(1000 + (size_t)k);          /* sizes 1000..1003: this thread's mark */
        slot[j][0] = (char)i;
        if (i % 5 == 0)
            slot[j] = realloc(slot[j], 2000 + (size_t)k);
    }
    for (int j = 0; j < 50; j++) free(slot[j]);
    return (void *)sum;
}
int main(void)
{
    pthread_t t[4];
    unsigned long total = 0;
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); total += (unsigned long)r; }
    pid_t pid = fork();
    if (pid == 0) { work((void *)3); exit(0); }
    waitpid(pid, NULL, 0);
    printf("total %lu\n", total);
    return 0;
}
"""


@pytest.fixture(scope="module")
def recorder_lib():
    subprocess.run(["make", "-s", "-C", str(ROOT), "recorder"], check=True)
    assert LIB.is_file()
    return LIB


def build(tmp_path: Path, name: str, source: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    exe = tmp_path / name
    subprocess.run(["cc", "-std=c11", "-O0", "-pthread", str(src), "-o", str(exe)], check=True)
    return exe


def record(exe: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "grader/recorder/record.py"), "-o", str(out),
                           "--name", "t", "--quiet", *extra, "--", str(exe)],
                          capture_output=True, text=True, timeout=60)


def body(path: Path) -> list[str]:
    """The request lines of a kit trace."""
    return [ln for ln in path.read_text().splitlines() if re.match(r"[afr] ", ln)]


def lint(path: Path) -> str:
    if not DRIVER.exists():
        subprocess.run(["make", "-s", "-C", str(ROOT), "all"], check=True)
    res = subprocess.run([str(DRIVER), "--lint", "-f", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def pid_of(path: Path) -> int:
    return int(re.search(r"^# process (\d+)", path.read_text(), re.M).group(1))


def test_known_program_gives_exact_traces(recorder_lib, tmp_path):
    exe = build(tmp_path, "known", KNOWN)
    plain = subprocess.run([str(exe)], capture_output=True, text=True)
    rec = record(exe, tmp_path / "out")
    assert (rec.returncode, rec.stdout) == (plain.returncode, plain.stdout) == (5, plain.stdout)
    assert sorted(plain.stdout.splitlines()) == ["child done", "parent done"]
    traces = sorted((tmp_path / "out").glob("t.*.rep"), key=pid_of)
    assert len(traces) == 2, rec.stderr
    parent, child = traces
    assert body(parent) == PARENT
    assert body(child) == CHILD
    text = child.read_text()
    assert "1 frees of pre-recording memory dropped" in text
    assert "1 zero-size/huge blocks left out" in parent.read_text()
    for t in traces:
        lint(t)


def test_cap_bounds_the_trace_and_frees_what_is_live(recorder_lib, tmp_path):
    exe = build(tmp_path, "known", KNOWN)
    record(exe, tmp_path / "out", "--max-ops", "6")
    parent = min((tmp_path / "out").glob("t.*.rep"), key=pid_of)
    # after a 0, a 1, r 0 (3 ops, 2 live blocks owing a free) an entry may add up to
    # 2 requests: 3 + 2 + 2 > 6, so the trace stops there and frees the live blocks
    assert body(parent) == ["a 0 10", "a 1 24", "r 0 100", "f 0", "f 1"]
    assert "cut at 6 ops" in parent.read_text()
    lint(parent)


def test_threads_and_fork(recorder_lib, tmp_path):
    exe = build(tmp_path, "threads", THREADS)
    plain = subprocess.run([str(exe)], capture_output=True, text=True)
    rec = record(exe, tmp_path / "out")
    assert (rec.returncode, rec.stdout) == (plain.returncode, plain.stdout)
    traces = sorted((tmp_path / "out").glob("t.*.rep"), key=pid_of)
    assert len(traces) == 2
    parent, child = (tracekit.read_kit(str(t)) for t in traces)
    for t in traces:
        lint(t)
    assert "4 thread(s)" in traces[0].read_text() or "5 thread(s)" in traces[0].read_text()
    # every thread's 3000 mallocs (sizes 1000+k) and 600 reallocs (2000+k) are there
    for k in range(4):
        assert sum(1 for op in parent if op[0] == "a" and op[2] == 1000 + k) == 3000
        assert sum(1 for op in parent if op[0] == "r" and op[2] == 2000 + k) == 600
    assert sum(1 for op in child if op[0] == "a" and op[2] == 1003) == 3000
    assert sum(1 for op in child if op[0] == "a" and 1000 <= op[2] < 1003) == 0


def test_convert_log_rules():
    """The conversion rules on a hand-made log (no process involved)."""
    M, C, R, F, A = (tracekit.REC_MALLOC, tracekit.REC_CALLOC, tracekit.REC_REALLOC,
                     tracekit.REC_FREE, tracekit.REC_ALIGNED)
    e = lambda kind, ptr, old=0, size=0: (ptr, old, size, 0, kind, 1)  # noqa: E731
    log = [e(F, 0x999),                    # memory from before recording: dropped
           e(M, 0x100, size=8),            # a 0 8
           e(C, 0x200, size=0),            # calloc(0): left out...
           e(F, 0x200),                    # ... with its free
           e(R, 0x300, 0x100, 64),         # r 0 64 (moved)
           e(M, 0x100, size=16),           # a 1 16 (old address reused)
           e(M, 0x100, size=32),           # 0x100 handed out again: the free was not logged
           e(R, 0x400, 0x888, 24),         # realloc of unknown memory: a fresh block
           e(A, 0x500, size=1 << 31),      # too large for a trace: left out
           e(R, 0, 0x300, 0)]              # realloc(p, 0): f 0
    conv = tracekit.convert_log(log)
    assert conv.ops == [("a", 0, 8), ("r", 0, 64), ("a", 1, 16), ("f", 1, 0), ("a", 2, 32),
                        ("a", 3, 24), ("f", 0, 0), ("f", 2, 0), ("f", 3, 0)]
    assert (conv.dropped_frees, conv.zero_or_huge, conv.unlogged_reuse, conv.freed_at_end) == (2, 2, 1, 2)
    tracekit.check_ops(conv.ops)
