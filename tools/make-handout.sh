#!/usr/bin/env bash
# make-handout.sh -- build dist/slablab-handout.tar.gz, the tree a student gets.
#
# What goes in is an ALLOW-list of committed files (git ls-files), copied from
# the working tree; nothing else can slip in (no build output, no untracked
# notes).  Then a DENY check refuses the tarball if anything instructor-only
# got in anyway: solution/, traces/hidden/, notes, instructor files.
#
# Docs are shipped as they are, except that a block between the lines
# "<!-- kit-only ..." and "<!-- /kit-only -->" (instructor commands, files the
# tarball does not have) is left out of every shipped *.md file.
#
# The student tree (top directory slablab-handout/):
#   README.md  Makefile          tools/handout/README.md, tools/handout/Makefile
#   my_alloc.c                   starter/my_alloc.c: the file the student edits
#   handout.md  include/  tests/student/
#   grader/                      driver sources, the Python grader, config.toml,
#                                checkpoints/, the recorder (grader/recorder/)
#   traces/                      the public traces and their README (no hidden/)
#   .github/workflows/grade-pr.yml   the pull-request grading workflow
#   .github/workflows/classroom.yml  GitHub Classroom: grade every push, report points
#
# The archive is reproducible: sorted names, fixed owner and mtime, gzip -n.
# Usage: tools/make-handout.sh [OUT.tar.gz]   (default dist/slablab-handout.tar.gz)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-dist/slablab-handout.tar.gz}
top=slablab-handout
stage=build/handout
die() { echo "make-handout: $*" >&2; exit 1; }

git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "not a git checkout: the handout is built from committed files"

# Committed files under these paths, minus what students do not get.
ship_paths=(include grader traces tests/student)
# traces/validation/: the reference solution's validation set (12 MB; kit-only).
exclude_re='^(traces/hidden/|traces/validation/|traces/record-(real|validation)\.sh$)'

rm -rf "$stage"
mkdir -p "$stage/$top"
copy() {   # copy SRC [DEST]: a committed file into the student tree
    local src=$1 dest=${2:-$1}
    [ -f "$src" ] || die "missing $src"
    mkdir -p "$stage/$top/$(dirname "$dest")"
    cp -p "$src" "$stage/$top/$dest"
}

while IFS= read -r f; do
    [[ $f =~ $exclude_re ]] && continue
    [ -f "$f" ] || continue          # deleted in the working tree
    copy "$f"
done < <(git ls-files -- "${ship_paths[@]}")

copy starter/my_alloc.c my_alloc.c
copy handout.md
copy tools/handout/README.md README.md
copy tools/handout/Makefile Makefile
copy tools/handout/gitignore .gitignore
copy .github/workflows/grade-pr.yml
copy .github/workflows/classroom.yml

# Kit-only blocks out of the shipped docs (an unclosed block is an error, not a truncation).
while IFS= read -r md; do
    awk -v f="$md" '
        /^<!-- kit-only/      { if (skip) { print f ": nested kit-only block" > "/dev/stderr"; exit 3 } skip = 1; next }
        /^<!-- \/kit-only -->/ { if (!skip) { print f ": kit-only end without start" > "/dev/stderr"; exit 3 } skip = 0; next }
        !skip                 { print }
        END                   { if (skip) { print f ": unclosed kit-only block" > "/dev/stderr"; exit 3 } }
    ' "$md" > "$md.tmp" || die "bad kit-only markers in ${md#"$stage/$top/"}"
    touch -r "$md" "$md.tmp"
    mv "$md.tmp" "$md"
done < <(find "$stage/$top" -name '*.md' -type f | sort)

# Python tools with a #! line are run as commands (the docs say traces/gen.py ...): keep them executable.
while IFS= read -r py; do
    head -c 2 "$py" | grep -q '^#!' && chmod 755 "$py"
done < <(find "$stage/$top" -name '*.py' -type f | sort)

# The deny check: refuse instructor material whatever the allow-list said.
bad=$(cd "$stage/$top" && find . -type f | sed 's|^\./||' |
      grep -E '^(solution/|traces/hidden/|notes/)|(^|/)(INSTRUCTOR|instructor|SOLUTION)[^/]*$|\.key$' || true)
[ -z "$bad" ] || die "instructor-only files in the handout: $bad"
ls "$stage/$top"/traces/*.rep >/dev/null 2>&1 || die "no public traces (traces/*.rep) to ship"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime='2000-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    --mode='u+rwX,go+rX,go-w' -C "$stage" -cf - "$top" | gzip -n -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "make-handout: $out ($(tar tzf "$out" | grep -vc '/$') files)"
