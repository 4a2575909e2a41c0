#!/usr/bin/env bash
# Install the Debian/Ubuntu packages slablab needs: the one list of them.
#
#   tools/install-deps.sh --grade   only what grading a submission uses: a C
#                                   compiler and make, binutils (nm, readelf,
#                                   objcopy for the static checks), python3,
#                                   and python3-tomli where Python is older
#                                   than 3.11 (no tomllib).  The platform
#                                   packages (deploy/) install this set.
#   tools/install-deps.sh --test    the above plus everything the kit's own
#                                   tests use (Criterion, clang, valgrind,
#                                   pytest, linters, chromium...).  .ci/run.
#   tools/install-deps.sh           same as --test (the historical default).
#   --print                         print the package list, install nothing.
#
# Installs only what is missing; needs root (or sudo) only when something is.
set -euo pipefail

mode="test"
print=0
for arg in "$@"; do
    case "$arg" in
        --grade) mode="grade" ;;
        --test) mode="test" ;;
        --print) print=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown option $arg (--grade, --test, --print)" >&2; exit 2 ;;
    esac
done

grade_packages=(
    gcc make libc6-dev   # compile the submission and the driver (C11; libc6-dev brings
                         # libc.a and the kernel headers the sandbox's seccomp filter uses)
    binutils             # nm, readelf, objcopy: the grader's static checks
    python3              # the grader (standard library only, 3.8+)
    bubblewrap           # the strongest sandbox for the compiler (grader/isolate.py; without
                         # it the grader falls back, visibly, to a weaker layer)
)
# tomllib is in the standard library from 3.11; before it, tomli reads the config.
if ! command -v python3 >/dev/null 2>&1 ||
   ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    grade_packages+=(python3-tomli)
fi

test_packages=(
    build-essential   # gcc, make
    clang             # make CC=clang, and the libFuzzer targets
    bubblewrap        # the grader's sandbox for the compiler and valgrind (grader/isolate.py)
    libseccomp-dev    # seccomp headers for the sandbox tests
    libcriterion-dev  # the C unit tests
    python3-pytest
    python3-tomli python3-exceptiongroup  # pytest and the grader under Python 3.8 (make test-py38)
    valgrind          # grader --speed instructions
    similarity-tester # sim_c: the batch similarity report
    zip unzip         # make gradescope, and its test
    python3-yaml shellcheck nodejs   # workflow and script linting in the tests
    chromium fonts-dejavu-core       # the HTML report's browser test (tests/test_report_browser.py)
    gdb gdbserver     # the handout's debugging commands, run by tests/test_handout.py
)

packages=("${grade_packages[@]}")
[ "$mode" = test ] && packages+=("${test_packages[@]}")

if [ "$print" = 1 ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

need=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
