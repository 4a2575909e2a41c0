#!/usr/bin/env bash
# Install the Debian packages slablab needs to build, grade and run its tests.
# The one list of them: .ci/run and the README's quick start both call this.
# Installs only what is missing; needs root (or sudo) only when something is.
set -euo pipefail

packages=(
    build-essential   # gcc, make
    clang             # make CC=clang, and the libFuzzer targets
    binutils          # nm and objdump, for the grader's static checks
    libcriterion-dev  # the C unit tests
    python3 python3-pytest
    libseccomp-dev    # the replay sandbox's system-call filter
    valgrind          # grader --speed instructions
    python3-yaml shellcheck nodejs   # workflow and script linting in the tests
    chromium fonts-dejavu-core       # the HTML report's browser test (tests/test_report_browser.py)
    gdb gdbserver     # the handout's debugging commands, run by tests/test_handout.py
)

need=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}"
