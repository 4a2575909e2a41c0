#!/usr/bin/env bash
# Gradescope autograder setup (runs once, as root, when the autograder image
# is built; the zip is unpacked in /autograder/source).  Installs only what
# grading uses (tools/install-deps.sh --grade: a compiler, binutils, python3,
# and python3-tomli where Python is older than 3.11), builds the kit's driver
# so that a kit that does not build fails here, at upload time, not on a
# student's submission, and makes the hidden traces readable by root only
# (submissions run inside the driver's sandbox, which opens no file at all).
set -euo pipefail
cd "$(dirname "$0")"
bash tools/install-deps.sh --grade
chmod 755 run_autograder setup.sh deploy/*/*.sh 2>/dev/null || true
python3 -c 'import sys; from grader import build, config; config.load(); build.ensure_driver_library(); print("slablab: kit built with Python", sys.version.split()[0])'
# Deterministic speed: count libc once here, so that each grading counts only the submission.
if python3 -c 'import sys; from grader import config; sys.exit(config.load().speed_mode != "instructions")'; then
    # not fatal: where the isolation layer cannot keep the count safe, each grading counts libc
    python3 -m grader --count-libc || echo "slablab: libc's instruction counts not kept here; each grading counts them"
fi
if [ -d traces/hidden ]; then
    chmod 700 traces/hidden
    chmod 600 traces/hidden/*.rep 2>/dev/null || true
fi
