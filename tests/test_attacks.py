"""The attack corpus (tests/attacks/<category>-<name>/my_alloc.c): hostile
submissions written from issue 11, graded by the real grader, each asserting
the outcome the fixed design promises.  tests/attacks/README.md lists them.

Every attack is a correct, simple allocator (tests/allocators/implicit.c, or
tests/attacks/_bases/bump.c) plus one trick.  For each, one run of
`python3 -m grader --json --gradescope --github --autolab` in a copy of the kit
(made once per session), on a small lab: two public traces, the realloc
debugging trace and one hidden trace that holds canaries.  Then, always:

  * strict JSON: every JSON the grader wrote parses with NaN/Infinity refused,
    as strict UTF-8, and the Autolab line too;
  * never a higher score than the same allocator without the trick (graded
    once per session in the same lab and mode);
  * no file written: the attack's own target directory stays empty and the
    kit copy (outside build/) is unchanged;
  * no process left behind: no process carries the run's marker variable in
    its environment (inherited by everything the grader starts);
  * nothing hidden or environmental in any output: not the canary variable's
    value, the hidden trace's comment token or requests, in stdout, stderr,
    the JSON, the Gradescope file (tests whose visibility is delayed aside)
    or the job summary;
  * outputs escaped and bounded: no raw ESC/BEL/NUL byte, no GitHub command
    line of the allocator's, one score line, no forged summary markup, every
    output under 2 MB;

and the attack's own expected outcome from EXPECTED (a static violation, a
compile error, tamper-or-no-gain, the base's score...).  The attacks that beat
the grader this corpus was written against are strict expected failures
(BEATS_MAIN): `make test` stays green today, and each one that the issue-11
work defeats turns into an XPASS failure until it leaves the set
(tests/attacks/README.md has the table).

Attack files are templates: @ATTACK_DIR@ (the lab: hidden/, out/) and @KIT@
(the kit copy's root) are filled in before grading.
"""
from __future__ import annotations

import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent
ATTACKS = KIT / "tests" / "attacks"
BASES = {"implicit": KIT / "tests" / "allocators" / "implicit.c",
         "bump": ATTACKS / "_bases" / "bump.c"}

OUTPUT_CAP = 2 << 20          # bytes: any one output of a grading
STALL_SLACK = 25              # seconds a grading may take beyond its base's
RUN_TIMEOUT = 240             # seconds: one grading, whatever the submission does
TOLERANCE = {"none": 0.01, "instructions": 0.5, "wallclock": 6.0}   # score points
DELAYED = {"hidden", "after_due_date", "after_published"}           # Gradescope visibility
LOAD_TIME_RULE = "load-time-code"

# ---- what each attack must get --------------------------------------------------
# base: the allocator without the trick; mode: --speed; expect: the outcome.
#   ("static", rule)     a zeroing static violation of that rule, score 0
#   ("zero", rule)       score 0 by a zeroing violation of that rule, or a failed build
#   ("build", regex)     the build fails, its reason matches, score 0
#   ("tamper-or-no-gain",)  a trace fails as tamper, or the speed points are the base's
#   ("same",)            every trace correct and the base's score
#   ("no-gain",)         only the invariants (score <= base)
#   ("hidden-fails",)    the public traces pass, the hidden trace fails
#   ("small",)           the build succeeds and the outputs stay under the cap
#   ("trace-fails", trace, kind)  that trace fails with that error kind, the others pass
#   ("violation", rule)  a static violation of that rule (not zeroing), every trace run
EXPECTED = {
    # 1. load-time code
    "loadtime-constructor": ("implicit", "none", ("static", LOAD_TIME_RULE)),
    "loadtime-init-fragment": ("implicit", "none", ("static", LOAD_TIME_RULE)),
    "loadtime-ifunc": ("implicit", "none", ("static", LOAD_TIME_RULE)),
    "loadtime-preinit": ("implicit", "none", ("static", LOAD_TIME_RULE)),
    "loadtime-destructor": ("implicit", "none", ("static", LOAD_TIME_RULE)),
    # 2. the compiler reads course files
    "compiler-include-solution": ("implicit", "none", ("build", r"No such file|not found|not permitted|denied")),
    "compiler-include-absolute": ("implicit", "none", ("build", r"No such file|not found|not permitted|denied")),
    "compiler-incbin-hidden": ("implicit", "none", ("build", r"No such file|not found|not permitted|denied|can't open")),
    "compiler-include-hidden": ("implicit", "none", ("build", r"No such file|not found|not permitted|denied")),
    # 3. shared address space
    "address-forge-result": ("bump", "wallclock", ("no-gain",)),
    "address-got-clock": ("implicit", "wallclock", ("no-gain",)),
    "address-env-leak": ("implicit", "none", ("no-gain",)),      # may crash on a scrubbed stack
    "address-stack-dump": ("implicit", "none", ("no-gain",)),
    # 4. timed replays
    "timed-count-init": ("implicit", "wallclock", ("tamper-or-no-gain",)),
    "timed-unwritten-payloads": ("implicit", "wallclock", ("tamper-or-no-gain",)),
    "timed-rdtsc-gap": ("implicit", "wallclock", ("tamper-or-no-gain",)),
    # 5. numbers and rules by name
    "rules-section-with-space": ("implicit", "none", ("static", "global-data")),
    # 64 MB in it: the compile sandbox's file-size limit stops the build first
    "rules-data-rel-rox": ("implicit", "none", ("zero", "global-data")),
    "rules-nobits-rox": ("implicit", "none", ("static", "global-data")),
    "rules-tls-renamed": ("implicit", "none", ("zero", "global-data")),   # or a static link refuses it
    "rules-calloc-via-got": ("implicit", "none", ("no-gain",)),
    "rules-forge-nan": ("implicit", "wallclock", ("tamper-or-no-gain",)),
    # 6. the deterministic speed mode
    "speed-valgrind-writes-file": ("implicit", "instructions", ("no-gain",)),
    "speed-valgrind-bump": ("implicit", "instructions", ("tamper-or-no-gain",)),
    "speed-valgrind-forged-digest": ("implicit", "instructions", ("tamper-or-no-gain",)),
    "speed-valgrind-spawn": ("implicit", "instructions", ("no-gain",)),
    # 7. unbounded compiler and outputs
    "unbounded-dev-zero": ("implicit", "none", ("build", r".")),
    "unbounded-macro-bomb": ("implicit", "none", ("build", r".")),
    "unbounded-warning-flood": ("implicit", "none", ("small",)),
    "unbounded-output-flood": ("implicit", "none", ("no-gain",)),
    # 8. allocator output reaches the outputs
    "escape-fake-report": ("implicit", "none", ("trace-fails", "short-06-realloc.rep", "null")),
    "escape-github-commands": ("implicit", "none", ("trace-fails", "short-06-realloc.rep", "null")),
    "escape-markdown-html": ("implicit", "none", ("trace-fails", "short-06-realloc.rep", "null")),
    "escape-ansi-bytes": ("implicit", "none", ("trace-fails", "short-06-realloc.rep", "null")),
    "escape-symbol-markup": ("implicit", "none", ("violation", "extra-symbol")),
    "escape-compiler-markup": ("implicit", "none", ("build", r".")),
    # 9. hidden traces leak
    "hidden-print-requests": ("implicit", "none", ("same",)),
    "hidden-null-probe": ("implicit", "none", ("hidden-fails",)),
    "hidden-segv-probe": ("implicit", "none", ("hidden-fails",)),
}
# The attacks that beat `main` as it stood when this corpus was last run against
# it (5e38473: the two-process driver merged; the compile sandbox, static
# checks on the linked executable and hidden-trace outputs not yet): each is
# an expected failure, strictly -- the day the grader defeats one, its test
# passes, pytest reports that as a failure (XPASS(strict)), and the name must
# leave this set, so that from then on the attack is asserted for real.
# SLABLAB_ATTACKS_EXPECT_FIXED=1 ignores the set (every attack asserted).
BEATS_MAIN: set = set()   # every attack is defeated on main
# A compiler that reads an endless file or expands a bomb must not take the
# shared machine down with it whatever the grader does: these runs get an
# address-space limit (inherited by cc1) on top of the grader's own limits.
SAFETY_AS = {"unbounded-dev-zero": 4 << 30, "unbounded-macro-bomb": 4 << 30}
# -v shows the allocator's output in the terminal report, as a student runs it.
VERBOSE = {n for n in EXPECTED if n.startswith(("escape-", "address-", "hidden-", "compiler-incbin"))}


# ---- the lab: traces, config, canaries --------------------------------------------

def _trace(path: Path, comment: str, rng: random.Random, nops: int, sizes, max_live: int) -> None:
    lines, live, nid = [f"# {comment}"], [], 0
    for _ in range(nops):
        if live and (len(live) >= max_live or rng.random() < 0.25):
            lines.append(f"f {live.pop(rng.randrange(len(live)))}")
        else:
            lines.append(f"a {nid} {rng.choice(sizes) + rng.randrange(16)}")
            live.append(nid)
            nid += 1
    lines += [f"f {i}" for i in live]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Lab:
    root: Path
    kit: Path
    config: Path
    env_token: str
    hidden_token: str
    hidden_sizes: list = field(default_factory=list)
    marker: str = ""

    def leaks(self, text: str, staff: bool = False) -> list[str]:
        """Canaries in text.  A staff document (the --json file, which the
        README documents as the TAs') may name what a hidden trace asked for;
        never the grader's environment."""
        if staff:
            return [self.env_token] if self.env_token in text else []
        found = [t for t in (self.env_token, self.hidden_token) if t in text]
        for s in self.hidden_sizes:
            if re.search(rf"(?<![0-9A-Za-z.]){s}(?![0-9.])", text) or f"{0x100000000000 + s:x}" in text:
                found.append(str(s))
        return found


def _copy_kit(dest: Path) -> Path:
    def ignore(d, names):
        rel = Path(d).resolve().relative_to(KIT)
        skip = {".git", "__pycache__", "node_modules", ".pytest_cache"}
        if rel == Path("."):
            skip |= {"build"}          # the grader's make builds the copy's own
        if rel == Path("traces"):
            skip |= {"hidden"}
        return [n for n in names if n in skip]
    shutil.copytree(KIT, dest, ignore=ignore, symlinks=True)
    return dest


def _config(kit: Path, lab: Path) -> Path:
    text = (kit / "grader" / "config.toml").read_text()
    subs = [(r'(?m)^public_dir\s*=.*$', f'public_dir = "{lab / "public"}"'),
            (r'(?m)^hidden_dir\s*=.*$', f'hidden_dir = "{lab / "hidden"}"'),
            (r'(?m)^use_hidden\s*=.*$', 'use_hidden = true'),
            (r'(?m)^samples\s*=.*$', 'samples = 3'),
            (r'(?m)^timeout_s\s*=\s*60\b.*$', 'timeout_s = 10')]   # [build]: bombs end sooner
    for pat, new in subs:
        text, n = re.subn(pat, new.replace("\\", "\\\\"), text, count=1)
        assert n == 1, f"grader/config.toml has no line matching {pat}: update tests/test_attacks.py"
    path = lab / "config.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    root = tmp_path_factory.mktemp("attack-lab")
    kit = _copy_kit(root / "kit")
    for d in ("public", "hidden", "out"):
        (root / d).mkdir()
    rng = random.Random(1111)
    # implicit.c: full utilization credit but ~0.02 of libc's speed on pub-mix,
    # and about half its ceiling on pub-tiny (tiny blocks, 16 bytes of tags each).
    _trace(root / "public" / "pub-mix.rep", "a public test trace: many live blocks", rng, 5000,
           [8, 16, 24, 40, 72, 100, 200, 500, 1000, 3000], 1500)
    _trace(root / "public" / "pub-tiny.rep", "a public test trace: tiny blocks", rng, 6000,
           [1, 4, 8, 12], 3000)
    shutil.copy(KIT / "traces" / "short-06-realloc.rep", root / "public")
    hidden_token = "HIDDEN-" + secrets.token_hex(12)
    sizes = sorted({random.randrange(1_000_003, 1_999_999) for _ in range(6)})
    hl = [f"# {hidden_token}: generated with gen.py --seed {secrets.randbelow(10**9)}"]
    for i, s in enumerate(sizes):
        hl.append(f"a {i} {s}")
        if i >= 2:
            hl.append(f"f {i - 2}")
    hl += [f"f {i}" for i in range(max(0, len(sizes) - 2), len(sizes))]
    (root / "hidden" / "hidden-canary.rep").write_text("\n".join(hl) + "\n")
    return Lab(root=root, kit=kit, config=_config(kit, root), env_token="ENV-" + secrets.token_hex(12),
               hidden_token=hidden_token, hidden_sizes=sizes)


# ---- one grading -----------------------------------------------------------------

@dataclass
class Run:
    doc: dict
    gradescope: dict
    stdout: bytes
    stderr: bytes
    summary: bytes
    raw: dict                 # output name -> bytes, for the byte-level checks
    elapsed: float
    autolab: dict | None
    leftovers: list


def strict_json(data: bytes, what: str):
    def refuse(c):
        raise ValueError(f"{what}: non-standard JSON constant {c}")
    return json.loads(data.decode("utf-8"), parse_constant=refuse)


def _marked_processes(marker: str) -> list[int]:
    pids, needle = [], f"SLABLAB_ATTACK_MARKER={marker}".encode()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            env = (p / "environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            pids.append(int(p.name))
    return pids


def _snapshot(kit: Path) -> dict:
    snap = {}
    for d, dirs, files in os.walk(kit):
        rel = Path(d).relative_to(kit)
        if rel.parts[:1] == ("build",) or "__pycache__" in rel.parts:
            dirs[:] = []
            continue
        for f in files:
            try:
                st = os.lstat(os.path.join(d, f))
            except OSError:
                continue
            snap[str(rel / f)] = (st.st_size, st.st_mtime_ns)
    return snap


def materialize(lab: Lab, src: Path, dest: Path) -> Path:
    text = src.read_text().replace("@ATTACK_DIR@", str(lab.root)).replace("@KIT@", str(lab.kit))
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "my_alloc.c"
    out.write_text(text)
    return out


def grade(lab: Lab, submission: Path, mode: str, tmp: Path, *, verbose: bool = False,
          as_limit: int | None = None) -> Run:
    marker = secrets.token_hex(8)
    files = {k: tmp / f"{k}.out" for k in ("json", "gradescope", "summary")}
    files["summary"].write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SLABLAB_"))}
    env.update(SLABLAB_CANARY=lab.env_token, SLABLAB_ATTACK_MARKER=marker,
               GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(files["summary"]), LC_ALL="C")
    cmd = [sys.executable, "-m", "grader", str(submission), "--config", str(lab.config),
           "--speed", mode, "--json", str(files["json"]), "--gradescope", str(files["gradescope"]),
           "--github", "--autolab", "--color", "never"] + (["-v"] if verbose else [])

    def limits():
        if as_limit:
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=lab.kit, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=limits)
    try:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"the grader did not finish within {RUN_TIMEOUT} s")
    elapsed = time.monotonic() - t0
    # Whatever the grader started and left running: give it a moment to end.
    leftovers = []
    for _ in range(20):
        leftovers = _marked_processes(marker)
        if not leftovers:
            break
        time.sleep(0.1)
    cmdlines = []
    for pid in leftovers:     # ours to end: they carry this run's marker
        try:
            cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    raw = {"stdout": out, "stderr": err}
    for k, f in files.items():
        raw[k] = f.read_bytes() if f.exists() else b""
    assert raw["json"], f"no --json file written (grader exit {p.returncode}): {err[-2000:]!r}"
    assert raw["gradescope"], "no --gradescope file written"
    doc = strict_json(raw["json"], "--json")
    gs = strict_json(raw["gradescope"], "--gradescope")
    lines = out.decode("utf-8", "replace").strip().splitlines()
    autolab = strict_json(lines[-1].encode(), "--autolab line") if lines else None
    return Run(doc, gs, out, err, raw["summary"], raw, elapsed, autolab, cmdlines)


# ---- the base allocators' scores ---------------------------------------------------

_base_cache: dict = {}


def base_run(lab: Lab, base: str, mode: str, tmp_path_factory) -> Run:
    key = (base, mode)
    if key not in _base_cache:
        tmp = tmp_path_factory.mktemp(f"base-{base}-{mode}")
        _base_cache[key] = grade(lab, BASES[base], mode, tmp)
    r = _base_cache[key]        # checked on every use: each attack's test fails alike
    assert r.doc["build"]["ok"], f"base {base} does not build: {r.doc['build']}"
    assert all(t["correct"] for t in r.doc["traces"]), f"base {base} fails a trace"
    # the comparison means nothing if the mode fell back (no valgrind, say)
    assert r.doc["speed"]["mode"] == mode, \
        f"base {base}: graded in speed mode {r.doc['speed']['mode']}, not {mode}: {r.doc['speed'].get('error', '')[:300]}"
    return r


# ---- the checks ------------------------------------------------------------------

def visible_gradescope(gs: dict) -> dict:
    """What a student sees before release: delayed-visibility tests dropped."""
    out = dict(gs)
    out["tests"] = [t for t in gs.get("tests", []) if t.get("visibility") not in DELAYED]
    return out


def check_invariants(name: str, lab: Lab, run: Run, base: Run, mode: str, snap_before: dict) -> list:
    """Every broken promise, as messages (all of them, not just the first)."""
    problems: list = []

    def ok(cond, message):
        if not cond:
            problems.append(message)
        return cond

    doc = run.doc
    # never a higher score than the allocator without the trick
    ok(isinstance(doc["score"], (int, float)), f"{name}: score {doc['score']!r} is not a number")
    ok(doc["score"] <= base.doc["score"] + TOLERANCE[mode],
       f"{name} scored {doc['score']}, its base {base.doc['score']}")
    ok(run.gradescope.get("score", 0) <= base.doc["score"] + TOLERANCE[mode],
       f"{name}: Gradescope score {run.gradescope.get('score')}, its base {base.doc['score']}")
    if run.autolab is not None:
        total = sum(run.autolab["scores"].values())
        ok(abs(total - doc["score"]) < 0.02,
           f"Autolab line {run.autolab} is not the score")
    # no file written
    written = sorted(p.name for p in (lab.root / "out").iterdir())
    ok(not written,
       f"{name} wrote {written} (its contents: " f"{[(lab.root / 'out' / w).read_bytes()[:80] for w in written]})")
    after = _snapshot(lab.kit)
    changed = sorted(k for k in set(snap_before) | set(after) if snap_before.get(k) != after.get(k))
    ok(not changed,
       f"{name} changed files in the kit: {changed[:10]}")
    # no process left behind
    ok(not run.leftovers,
       f"{name} left processes running: {run.leftovers}")
    # ... nor one that holds the grading up (e.g. by keeping its output pipe open)
    ok(run.elapsed <= base.elapsed + STALL_SLACK,
       f"{name}: the grading took {run.elapsed:.1f} s, its base {base.elapsed:.1f} s")
    # nothing hidden or environmental in any output
    texts = {"stdout": run.stdout.decode("utf-8", "replace"),
             "stderr": run.stderr.decode("utf-8", "replace"),
             "summary": run.summary.decode("utf-8", "replace"),
             "json": json.dumps(doc, ensure_ascii=False),
             "gradescope": json.dumps(visible_gradescope(run.gradescope), ensure_ascii=False)}
    for what, text in texts.items():
        leaked = lab.leaks(text, staff=what == "json")
        ok(not leaked,
           f"{name}: {what} holds canaries {leaked}")
    # bounded, escaped
    for what, data in run.raw.items():
        ok(len(data) <= OUTPUT_CAP,
           f"{name}: {what} is {len(data)} bytes")
        for byte, label in ((b"\x1b", "ESC"), (b"\x07", "BEL"), (b"\x00", "NUL")):
            ok(byte not in data,
               f"{name}: a raw {label} byte in {what}")
    for what in ("json", "gradescope", "summary"):
        try:
            run.raw[what].decode("utf-8")
        except UnicodeDecodeError as e:
            ok(False, f"{name}: {what} is not UTF-8: {e}")
    for what in ("stdout", "stderr"):
        commands = live_commands(texts[what])
        ok(not commands, f"{name}: GitHub commands of the allocator's in {what}: {commands[:3]}")
    score_lines = [l for l in texts["stdout"].splitlines() if l.startswith("Score:")]
    ok(len(score_lines) <= 1,
       f"{name}: forged score lines {score_lines}")
    forged = live_markup(texts["summary"])
    ok(not forged, f"{name}: markup of the submission's is live in the job summary: {forged[:3]}")
    return problems


# The runner (actions/runner, ActionCommand) obeys a line that is a `::cmd::`
# workflow command once leading blanks are trimmed, and the legacy
# `##[cmd]` form anywhere in a line.  The grader's own commands are
# error/warning/notice annotations with a title, and never `##[`.
_COMMAND = re.compile(r"::([A-Za-z-]+)(?: ([^:]*))?::(.*)")


def live_commands(text: str) -> list[str]:
    """The lines of `text` that the Actions runner would obey as commands the
    grader did not write.  Between `::stop-commands::TOKEN` and `::TOKEN::` the
    runner obeys nothing (the grader wraps allocator output so, with a random
    token); a stop-commands of the allocator's own (its token says PWNED) is
    itself a forged command."""
    out, stopped = [], None
    for line in text.splitlines():
        s = line.strip()
        if stopped is not None:
            if s == f"::{stopped}::":
                stopped = None
            continue
        m = _COMMAND.match(s)
        if m and m.group(1).lower() == "stop-commands":
            if "pwned" in m.group(3).lower():
                out.append(line)
            stopped = m.group(3)
            continue
        if not own_annotation(line) or "##[" in line:
            out.append(line)
    return out


def own_annotation(line: str) -> bool:
    """True unless `line` is a workflow command the grader would not write."""
    m = _COMMAND.match(line.strip())
    if not m:
        return True
    cmd, props, msg = m.groups()
    return cmd in ("error", "warning", "notice") and "title=" in (props or "") \
        and not msg.startswith("PWNED")


def live_markup(md: str) -> list[str]:
    """Lines of a Markdown job summary where HTML or a forged heading/row is
    live: outside fenced blocks, with inline code spans removed."""
    out, fence = [], None
    for line in md.splitlines():
        m = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
                continue
            if mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):].strip():
                fence = None
                continue
        if fence is not None:
            continue
        text = re.sub(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", "", line)
        low = text.lower()
        if "<script" in low or "onerror=" in low or re.match(r"\s{0,3}(#+ PWNED|\| PWNED)", text):
            out.append(line)
    return out


def check_expected(name: str, run: Run, base: Run, mode: str, expect: tuple, lab: Lab) -> None:
    doc, what = run.doc, expect[0]
    traces = doc.get("traces", [])
    if what == "static":
        rules = [(v["rule"], v["zero"]) for v in doc["static"].get("violations", [])]
        assert (expect[1], True) in rules, f"{name}: expected a zeroing {expect[1]} violation, got {rules}"
        assert doc["score"] == 0 and doc["zeroed"], f"{name}: score {doc['score']}"
    elif what == "zero":
        rules = [(v["rule"], v["zero"]) for v in doc["static"].get("violations", [])]
        assert (expect[1], True) in rules or not doc["build"]["ok"], \
            f"{name}: expected a zeroing {expect[1]} violation or a failed build, got {rules}"
        assert doc["score"] == 0, f"{name}: score {doc['score']}"
    elif what == "build":
        assert not doc["build"]["ok"], f"{name}: expected the build to fail; traces {[(t['name'], t['correct']) for t in traces]}"
        assert re.search(expect[1], doc["build"].get("reason") or ""), f"{name}: build reason {doc['build'].get('reason')!r}"
        assert doc["score"] == 0
    elif what == "tamper-or-no-gain":
        kinds = [(t.get("error") or {}).get("kind") for t in traces]
        gain = doc["speed_points"] - base.doc["speed_points"]
        assert "tamper" in kinds or gain <= TOLERANCE[mode], \
            f"{name}: speed points {doc['speed_points']} vs base {base.doc['speed_points']}, no tamper ({kinds})"
    elif what == "same":
        bad = [(t["name"], t.get("error")) for t in traces if not t["correct"]]
        assert not bad, f"{name}: traces failed {bad}"
        assert abs(doc["score"] - base.doc["score"]) <= TOLERANCE[mode]
    elif what == "hidden-fails":
        by_hidden = {t["name"]: (t.get("hidden"), t["correct"]) for t in traces}
        assert all(ok for h, ok in by_hidden.values() if not h), f"{name}: {by_hidden}"
        assert any(h and not ok for h, ok in by_hidden.values()), f"{name}: {by_hidden}"
    elif what == "small":
        assert doc["build"]["ok"], f"{name}: build {doc['build'].get('reason')}"
        assert abs(doc["score"] - base.doc["score"]) <= TOLERANCE[mode]
    elif what == "trace-fails":
        got = {t["name"]: None if t["correct"] else (t.get("error") or {}).get("kind") for t in traces}
        want = {n: (expect[2] if n == expect[1] else None) for n in got}
        assert expect[1] in got and got == want, f"{name}: trace verdicts {got}, expected {want}"
    elif what == "violation":
        rules = [(v["rule"], v["zero"]) for v in doc["static"].get("violations", [])]
        assert (expect[1], False) in rules, f"{name}: expected a {expect[1]} violation, got {rules}"
        assert traces and all(t["correct"] for t in traces), f"{name}: traces not all correct"
    elif what == "no-gain":
        pass
    else:
        raise AssertionError(f"unknown expectation {expect}")


def test_every_attack_is_listed():
    on_disk = {p.parent.name for p in ATTACKS.glob("*/my_alloc.c")}
    assert on_disk == set(EXPECTED)
    assert BEATS_MAIN <= set(EXPECTED)
    cats = {n.split("-")[0] for n in EXPECTED}
    assert all(sum(n.startswith(c + "-") for n in EXPECTED) >= 3 for c in cats)
    assert len(cats) == 9


def _params():
    fixed = os.environ.get("SLABLAB_ATTACKS_EXPECT_FIXED") == "1"
    for name in sorted(EXPECTED):
        marks = [] if fixed or name not in BEATS_MAIN else [pytest.mark.xfail(
            strict=True, reason="beats main at 5e38473 (issue 11); remove from BEATS_MAIN once fixed")]
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", _params())
def test_attack(name, lab, tmp_path, tmp_path_factory):
    base_name, mode, expect = EXPECTED[name]
    if mode == "instructions" and shutil.which("valgrind") is None:
        pytest.fail("valgrind is required (apt-get install valgrind)")
    base = base_run(lab, base_name, mode, tmp_path_factory)
    sub = materialize(lab, ATTACKS / name / "my_alloc.c", tmp_path / "submission")
    for f in (lab.root / "out").iterdir():
        f.unlink()
    before = _snapshot(lab.kit)
    run = grade(lab, sub, mode, tmp_path, verbose=name in VERBOSE, as_limit=SAFETY_AS.get(name))
    problems = []
    try:
        try:
            check_expected(name, run, base, mode, expect, lab)
        except AssertionError as e:
            problems.append(str(e).splitlines()[0][:600])
        problems += [p[:600] for p in check_invariants(name, lab, run, base, mode, before)]
    finally:
        for f in (lab.root / "out").iterdir():
            f.unlink()
    outcome = "; ".join(f"{t['name']}: " + ("ok" if t["correct"] else (t.get("error") or {}).get("kind", "?"))
                        + f" {t.get('points')}" for t in run.doc.get("traces", []))
    problems.append(f"(score {run.doc['score']}, base {base.doc['score']}; build ok {run.doc['build']['ok']}; "
                    f"{outcome})")
    assert len(problems) == 1, "\n".join(problems)


# ---- the detectors themselves (each must be able to say no) -------------------------

def test_live_markup_sees_through_fences_and_spans():
    fenced = "## grade\n```\n<script>x</script>\n# PWNED\n```\nok `<script>` in a span\n"
    assert live_markup(fenced) == []
    closed_early = "```\nbuild output\n```\n</details><script>alert(1)</script>\n# PWNED Score\n"
    assert live_markup(closed_early) == ["</details><script>alert(1)</script>", "# PWNED Score"]
    span_broken = "| extra-symbol | `x`</td><script>alert(1)</script>`` | -5 |"
    assert live_markup(span_broken) == [span_broken]
    assert live_markup("| PWNED | 100 |\n") == ["| PWNED | 100 |"]


def test_command_detector_tells_the_graders_commands_from_forged_ones():
    assert own_annotation("::error file=my_alloc.c,line=3,title=compile error::expected ';'")
    assert own_annotation("plain text :: with colons")
    assert not own_annotation("      ::error::PWNED grade forged")          # blanks are trimmed
    assert not own_annotation("::add-mask::Score")
    assert not own_annotation("::warning file=grader/cli.py,line=1::PWNED")
    wrapped = "::stop-commands::slablab-1f2e\n::error::PWNED\n##[error]PWNED\n::slablab-1f2e::\nok\n"
    assert live_commands(wrapped) == []
    assert live_commands("x\n      ::add-mask::Score\nprogress ##[error]PWNED\n") == [
        "      ::add-mask::Score", "progress ##[error]PWNED"]
    assert live_commands("::stop-commands::pwnedtoken\n::error::hidden\n") == ["::stop-commands::pwnedtoken"]
    assert live_commands("::stop-commands::slablab-1f2e\nnever resumed ::error::x\n") == []


def test_leak_detector_finds_tokens_sizes_and_fault_addresses():
    lab = Lab(root=Path("/nonexistent"), kit=Path("/nonexistent"), config=Path("/nonexistent"),
              env_token="ENV-abc", hidden_token="HIDDEN-def", hidden_sizes=[1234567])
    assert lab.leaks("nothing here, 12345678 and 1234567.5 are other numbers") == []
    assert lab.leaks("my_alloc(1234567) for id 0") == ["1234567"]
    assert lab.leaks(f"SIGSEGV at address {0x100000000000 + 1234567:#x}") == ["1234567"]
    assert lab.leaks("x ENV-abc y HIDDEN-def") == ["ENV-abc", "HIDDEN-def"]


def test_strict_json_refuses_nan_and_bad_utf8():
    assert strict_json(b'{"a": 1.5}', "t") == {"a": 1.5}
    with pytest.raises(ValueError):
        strict_json(b'{"util": NaN}', "t")
    with pytest.raises(ValueError):
        strict_json(b'{"a": Infinity}', "t")
    with pytest.raises(UnicodeDecodeError):
        strict_json(b'{"a": "\xff"}', "t")
