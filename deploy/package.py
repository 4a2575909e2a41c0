#!/usr/bin/env python3
"""Build one platform package from the kit's committed files.

    python3 deploy/package.py gradescope   [--hidden DIR] [-o dist/gradescope.zip]
    python3 deploy/package.py autolab      [--hidden DIR] [-o dist/autolab]
    python3 deploy/package.py prairielearn [--hidden DIR] [-o dist/prairielearn]

(`make gradescope`, `make autolab`, `make prairielearn`.)  What goes in: the
grading kit only -- Makefile, include/, grader/ (not the recorder), the public
traces/*.rep, tools/install-deps.sh, deploy/<platform>/ -- as committed (git
ls-files; outside a git checkout, the same paths from the tree), plus the
hidden traces of --hidden (default traces/hidden/, if it exists) as
traces/hidden/*.rep.  Never solution/, tests/, docs/.  Output is
reproducible: sorted names, fixed dates, fixed modes (scripts 0755).

  gradescope:   a zip with setup.sh and run_autograder at its root, the kit
                beside them (Gradescope unpacks it into /autograder/source).
  autolab:      DIR/autograde-Makefile, DIR/autograde.tar (the kit under
                slablab/) and DIR/slablab.yml (the assessment: problems,
                autograder timeout, scoreboard columns).
  prairielearn: DIR/serverFilesCourse/slablab/ (the kit; the entry point is
                deploy/prairielearn/run.sh in it) and DIR/questions/slablab/
                (info.json with externalGradingOptions, question.html), and
                DIR.tar.gz of both.
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KIT_PATHS = ["Makefile", "include", "grader", "traces", "tools/install-deps.sh"]
EXCLUDE_PREFIXES = ("grader/recorder/", "traces/hidden/", "traces/record-real.sh")
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_EPOCH = 946684800


def committed(paths: list[str]) -> list[str]:
    if (ROOT / ".git").exists():
        p = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=ROOT,
                           capture_output=True, check=True)
        files = [f for f in p.stdout.decode().split("\0") if f]
    else:
        files = []
        for top in paths:
            t = ROOT / top
            if t.is_file():
                files.append(top)
            for d, _, names in os.walk(t):
                files += [str((Path(d) / n).relative_to(ROOT)) for n in names]
    return sorted(f for f in files if (ROOT / f).is_file() and "__pycache__" not in f)


def kit_files(platform: str) -> list[tuple[str, Path]]:
    """(name in the package, source) for the kit part."""
    out = []
    for f in committed(KIT_PATHS + [f"deploy/{platform}"]):
        if f.startswith(EXCLUDE_PREFIXES):
            continue
        if f.startswith("traces/") and "/" in f[len("traces/"):]:
            continue                  # only the public traces themselves
        if f.startswith("traces/") and not f.endswith(".rep"):
            continue
        out.append((f, ROOT / f))
    return out


def config_copy(tmpdir: Path) -> list[tuple[str, Path]]:
    """grader/config.toml.json: the config as JSON, for a platform Python
    without tomllib or tomli (grader/config.py reads it only if it matches)."""
    import json
    from grader import config
    doc = config.sidecar_document(ROOT / "grader" / "config.toml")
    out = tmpdir / "config.toml.json"
    # Key order is meaning (trace_weights: the first matching pattern wins): keep it.
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return [("grader/config.toml.json", out)]


def hidden_files(hidden: Path | None) -> list[tuple[str, Path]]:
    if hidden is None or not hidden.is_dir():
        return []
    return [(f"traces/hidden/{p.name}", p) for p in sorted(hidden.glob("*.rep")) if p.is_file()]


def _tmp() -> Path:
    import atexit
    import shutil
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="slablab-package."))
    atexit.register(shutil.rmtree, d, True)
    return d


def _mode(name: str) -> int:
    return 0o755 if name.endswith((".sh", "run_autograder")) or name.endswith("package.py") else 0o644


def write_zip(path: Path, entries: list[tuple[str, Path]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, src in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = (0o100000 | _mode(name)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, src.read_bytes())
    os.replace(tmp, path)


def write_tar(path: Path, entries: list[tuple[str, Path]], gz: bool = False,
              modes: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tarfile.open(tmp, "w:gz" if gz else "w", format=tarfile.GNU_FORMAT) as t:
        for name, src in sorted(entries):
            data = src.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), FIXED_EPOCH
            info.mode = (modes or {}).get(name, _mode(name))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            t.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)


def gradescope(out: Path, hidden: Path | None) -> list[str]:
    entries = kit_files("gradescope") + hidden_files(hidden) + config_copy(_tmp())
    entries += [("setup.sh", ROOT / "deploy/gradescope/setup.sh"),
                ("run_autograder", ROOT / "deploy/gradescope/run_autograder")]
    write_zip(out, entries)
    return [str(out)]


def autolab(out: Path, hidden: Path | None) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    entries = [("slablab/" + n, p)
               for n, p in kit_files("autolab") + hidden_files(hidden) + config_copy(_tmp())]
    write_tar(out / "autograde.tar", entries)
    for name in ("autograde-Makefile", "slablab.yml"):
        (out / name).write_bytes((ROOT / "deploy/autolab" / name).read_bytes())
    return [str(out / n) for n in ("autograde-Makefile", "autograde.tar", "slablab.yml")]


def prairielearn(out: Path, hidden: Path | None) -> list[str]:
    import shutil
    if out.exists():
        shutil.rmtree(out)
    kit = out / "serverFilesCourse" / "slablab"
    for name, src in kit_files("prairielearn") + hidden_files(hidden) + config_copy(_tmp()):
        dest = kit / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
        os.chmod(dest, _mode(name))
    q = out / "questions" / "slablab"
    q.mkdir(parents=True, exist_ok=True)
    for name in ("info.json", "question.html"):
        (q / name).write_bytes((ROOT / "deploy/prairielearn" / name).read_bytes())
    entries = [(str(p.relative_to(out)), p) for p in sorted(out.rglob("*")) if p.is_file()]
    write_tar(out.with_name(out.name + ".tar.gz"), entries, gz=True)
    return [str(out), str(out.with_name(out.name + ".tar.gz"))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="deploy/package.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("platform", choices=("gradescope", "autolab", "prairielearn"))
    ap.add_argument("-o", "--out", help="output (default dist/<platform>[.zip])")
    ap.add_argument("--hidden", help="directory of hidden traces (default traces/hidden, if any)")
    a = ap.parse_args(argv)
    hidden = Path(a.hidden) if a.hidden else ROOT / "traces" / "hidden"
    if a.hidden and not hidden.is_dir():
        print(f"package.py: --hidden {a.hidden}: not a directory", file=sys.stderr)
        return 2
    default = {"gradescope": "dist/gradescope.zip", "autolab": "dist/autolab",
               "prairielearn": "dist/prairielearn"}[a.platform]
    out = Path(a.out) if a.out else ROOT / default
    from grader.config import ConfigError
    try:
        made = globals()[a.platform](out, hidden)
    except ConfigError as e:
        print(f"package.py: {e}", file=sys.stderr)
        return 2
    n_hidden = len(hidden_files(hidden))
    print(f"package.py: {a.platform}: {', '.join(made)} ({n_hidden} hidden traces"
          + ("" if n_hidden else "; none: make hidden-traces SEED=... first, or --hidden DIR") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
