#!/bin/sh
# record-validation.sh -- record the validation traces: traces/validation/val-*.rep.
#
#   make recorder && sh traces/record-validation.sh [OUTDIR]      (default traces/validation)
#
# The validation set is kept apart from tuning: the reference solution is
# tuned on the public traces (traces/*.rep) and REPORTED on these (`make
# bench` prints both sets).  None of these programs is in the public set
# (g++, CPython, Perl, SQLite, jq, clang-format, Lua, gawk): they are other
# command-line tools, compilers, interpreters and a document processor, with
# small heaps as well as large, short runs as well as long.  The driver's
# `-t traces` and the grader read only traces/*.rep, so validation/ is never
# graded.
#
# Each program runs under the kit's recorder (grader/recorder/record.py, which
# needs build/librecorder.so: `make recorder`) on a fixed input made here from
# a seeded generator or from files that Debian ships, and the trace of its
# busiest process becomes OUTDIR/val-NAME.rep, cut at the op cap given below
# (400,000 at most, so that the set stays small enough to commit).
#
# Programs (Debian packages): bc, dc, coreutils tsort, grep, sed, diffutils,
# findutils, git, make, m4, bison, flex, tcc, units, clang, nodejs, ruby,
# binutils (nm, objdump), libxml2-utils (xmllint), groff, file.  A missing
# program is reported and skipped (the script then exits 1 at the end).
# Programs run with address-space randomization off (setarch -R), since some
# hash tables by address (bison, ruby); then re-running the script on the same
# machine reproduces the traces request for request, but for a few dozen
# lines of xmllint (libxml2 seeds its hashes from the clock).  Other machines
# differ slightly (environment sizes, libc and package versions); what is
# committed is one run's result.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/traces/validation}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/slablab-val.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILED=
# Pinned: locale, hash seeds, time zone, home (git and ruby read config files there).
export LC_ALL=C TZ=UTC HOME="$WORK/home" PYTHONHASHSEED=0
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=val GIT_AUTHOR_EMAIL=val@example.org
export GIT_COMMITTER_NAME=val GIT_COMMITTER_EMAIL=val@example.org
mkdir -p "$HOME"
NOASLR=
if command -v setarch >/dev/null 2>&1 && setarch -R true 2>/dev/null; then
    NOASLR="setarch -R"
else
    echo "record-validation.sh: setarch -R unavailable: recordings will vary from run to run" >&2
fi

if [ ! -f "$ROOT/build/librecorder.so" ]; then
    echo "record-validation.sh: build/librecorder.so missing: run \`make recorder\`" >&2
    exit 2
fi

# rec NAME MAXOPS NEEDS "what it does" COMMAND ARGS...
#   NEEDS is the program recorded (COMMAND may be a shell pipeline around it);
#   the command's output is discarded.
rec() {
    name=$1 max=$2 prog=$3 what=$4
    shift 4
    if ! command -v "$prog" >/dev/null 2>&1; then
        echo "record-validation.sh: $prog not installed: skipping $name" >&2
        FAILED="$FAILED $name"
        return 0
    fi
    rm -rf "$WORK/out" && mkdir -p "$WORK/out"
    /usr/bin/python3 "$ROOT/grader/recorder/record.py" --quiet -o "$WORK/out" --name "$name" \
        --max-ops "$max" --min-ops 100 --describe "val-$name: $what" -- $NOASLR "$@" >"$WORK/stdout" 2>"$WORK/stderr" || {
        echo "record-validation.sh: $name: the program failed:" >&2
        tail -5 "$WORK/stderr" >&2
        FAILED="$FAILED $name"
        return 0
    }
    # keep the process with the most requests (the compiler proper, not its
    # driver), among those whose command line matches $PICK when it is set
    # (bison runs m4 on its skeletons: the m4 child is busier than bison)
    best=$(for f in "$WORK"/out/*.rep; do
               if [ -z "${PICK:-}" ] || sed -n 2p "$f" | grep -q -- "from: ${PICK:-}"; then wc -l "$f"; fi
           done | sort -n | tail -1 | awk '{print $2}')
    if [ -z "$best" ]; then
        echo "record-validation.sh: $name: no process matches '${PICK:-}'" >&2
        FAILED="$FAILED $name"
        return 0
    fi
    mv "$best" "$OUT/val-$name.rep"
    echo "$OUT/val-$name.rep: $(grep -m1 " ops (a " "$OUT/val-$name.rep" | cut -c3-)"
}

# ---- inputs (deterministic) ----------------------------------------------------------
GTEST=/usr/src/googletest/googletest
TEXT="$WORK/text.txt"       # ~200 KB of English prose that Debian ships
cat /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0 \
    /usr/share/common-licenses/MPL-2.0 /usr/share/common-licenses/LGPL-3 \
    /usr/share/common-licenses/GPL-2 /usr/share/common-licenses/Artistic >"$TEXT"

/usr/bin/python3 - "$WORK" <<'EOF'
import random, sys
w = sys.argv[1]
rng = random.Random(13)
syll = "ka lo mi ne ru sa ti vo ze pa qu xi".split()
def word():
    return "".join(rng.choice(syll) for _ in range(rng.randint(1, 4)))
# lines to sort / diff / grep: 40000 lines of 1-8 words
lines = [" ".join(word() for _ in range(rng.randint(1, 8))) for _ in range(40000)]
open(w + "/lines.txt", "w").write("\n".join(lines) + "\n")
# a second version for diff: 5% of lines changed, some deleted or inserted
out = []
for l in lines:
    r = rng.random()
    if r < 0.02:
        continue
    if r < 0.05:
        out.append(word() + " " + l)
    else:
        out.append(l)
    if rng.random() < 0.02:
        out.append(" ".join(word() for _ in range(3)))
open(w + "/lines2.txt", "w").write("\n".join(out) + "\n")
# a directory tree for find: 600 directories, two levels, 0-60 empty files each
import os
for d in range(600):
    path = os.path.join(w, "tree", "d%d%s" % (d % 40, word()), word() + str(d))
    os.makedirs(path, exist_ok=True)
    for _ in range(rng.randint(0, 60)):
        open(os.path.join(path, word() + "." + rng.choice(["c", "h", "txt", "md"])), "w").close()
# a DAG of 20000 edges for tsort (edges go from lower to higher node numbers)
with open(w + "/edges.txt", "w") as f:
    for _ in range(20000):
        a = rng.randrange(6000); b = rng.randrange(a + 1, 6001)
        f.write("n%d%s n%d%s\n" % (a, syll[a % 12], b, syll[b % 12]))
# a makefile of 3000 targets with pattern rules and variables (make -n)
with open(w + "/Makefile", "w") as f:
    objs = ["obj/%s%d.o" % (word(), i) for i in range(3000)]
    f.write("CFLAGS := -O2 -Wall\nOBJS := %s\n" % " ".join(objs))
    f.write("all: prog\nprog: $(OBJS)\n\tcc -o $@ $^\n")
    f.write("obj/%.o: src/%.c $(wildcard inc/*.h)\n\tcc $(CFLAGS) -c $< -o $@\n")
    f.write("src/%.c: ; @:\ninc/%.h: ; @:\n")   # sources and headers need no file
    for o in objs:
        deps = " ".join("inc/%s.h" % word() for _ in range(rng.randint(1, 5)))
        f.write("%s: %s\n" % (o, deps))
        f.write("%s: EXTRA_%s := %s\n" % (o, rng.randint(0, 99), word()))
# m4 macros: define and expand recursively
with open(w + "/work.m4", "w") as f:
    f.write("define(`cat3', `$1-$2-$3')dnl\n")
    f.write("define(`rep', `ifelse(`$1', `0', `', `$2`'rep(decr($1), `$2')')')dnl\n")
    for i in range(3000):
        f.write("define(`m%d', `cat3(%s, %s, rep(%d, `%s '))')dnl\n" % (i, word(), word(), rng.randint(1, 6), word()))
    for i in range(6000):
        f.write("m%d translit(`%s', `a-z', `A-Z') len(`%s')\n" % (rng.randrange(3000), word(), word()))
# a grammar for bison: expression language with many rules
with open(w + "/gram.y", "w") as f:
    toks = ["T%d" % i for i in range(120)]
    f.write("%%token %s\n%%left '+' '-'\n%%left '*' '/'\n%%%%\n" % " ".join(toks))
    f.write("prog: /* empty */ | prog stmt ;\n")
    f.write("stmt: expr ';' | decl ';' | blk ;\nblk: '{' prog '}' ;\n")
    f.write("expr: expr '+' expr | expr '-' expr | expr '*' expr | expr '/' expr | '(' expr ')' | atom ;\n")
    nts = ["n%d" % i for i in range(300)]
    f.write("atom: %s ;\n" % " | ".join(nts[:40]))
    f.write("decl: %s ;\n" % " | ".join(nts[40:80]))
    for i, n in enumerate(nts):
        alts = []
        for _ in range(rng.randint(1, 4)):
            body = [rng.choice(toks) for _ in range(rng.randint(1, 3))]
            if i + 1 < len(nts) and rng.random() < 0.5:
                body.append(nts[rng.randrange(i + 1, len(nts))])
            alts.append(" ".join(body))
        f.write("%s: %s ;\n" % (n, " | ".join(alts)))
    f.write("%%\n")
# a scanner for flex: 400 keyword and pattern rules
with open(w + "/scan.l", "w") as f:
    f.write("%option noyywrap\n%%\n")
    seen = set()
    for i in range(400):
        k = word()
        if k in seen:
            continue
        seen.add(k)
        f.write('"%s"  { return %d; }\n' % (k, i + 1))
    for i in range(60):
        f.write("[%s][a-z0-9]{%d,%d}  { return %d; }\n" % ("".join(rng.sample("abcdefgh", 3)), i % 5, i % 5 + 3, 500 + i))
    f.write("[ \\t\\n]+ ;\n. { return 1000; }\n%%\n")
# a C program for tcc: 1500 functions over structs, strings and arrays
with open(w + "/prog.c", "w") as f:
    f.write("#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n")
    f.write("struct s { int a; double b; char name[32]; struct s *next; };\n")
    for i in range(1500):
        f.write("static int f%d(struct s *p, int n) {\n  int acc = %d;\n" % (i, i))
        f.write("  for (int i = 0; i < n; i++) { acc += p->a * i + (int)p->b; if (acc > %d) acc -= strlen(p->name); }\n" % (rng.randint(100, 9999)))
        if i:
            f.write("  if (n > 1) acc += f%d(p->next ? p->next : p, n - 1);\n" % rng.randrange(i))
        f.write('  snprintf(p->name, sizeof p->name, "f%d-%%d", acc);\n  return acc;\n}\n' % i)
    f.write("int main(void) { struct s x = {1, 2.0, \"x\", 0}; printf(\"%d\\n\", f1499(&x, 3)); return 0; }\n")
# units conversions, one per line
with open(w + "/units.txt", "w") as f:
    pairs = [("10 miles", "km"), ("3 furlongs/fortnight", "m/s"), ("1 lightyear", "parsec"),
             ("5 gallons", "liters"), ("72 fahrenheit", "kelvin"), ("1 horsepower", "watts"),
             ("1 atm", "psi"), ("60 mph", "knots"), ("2 cups", "ml"), ("1 acre", "m^2")]
    for i in range(600):
        a, b = pairs[i % len(pairs)]
        f.write("%s\n%s\n" % (a.replace(a.split()[0], str(1 + i % 17), 1) if "fahrenheit" not in a else a, b))
# a ruby workload: objects, hashes, strings, sorting
with open(w + "/work.rb", "w") as f:
    f.write("""
counts = Hash.new(0)
File.foreach(ARGV[0]) { |l| l.split.each { |w| counts[w.downcase] += 1 } }
top = counts.sort_by { |w, n| [-n, w] }.first(5)
Item = Struct.new(:name, :vals)
items = (1..20000).map { |i| Item.new("item#{i % 977}", (0..(i % 9)).map { |j| j * i % 101 }) }
groups = items.group_by(&:name).map { |k, v| [k, v.sum { |it| it.vals.sum }] }.sort_by { |k, s| -s }
puts top.inspect, groups.first(3).inspect
""")
# node: build, stringify and parse JSON; string maps
with open(w + "/work.js", "w") as f:
    f.write("""
const fs = require('fs');
const words = fs.readFileSync(process.argv[2], 'utf8').split(/\\s+/);
const m = new Map();
for (const w of words) m.set(w.toLowerCase(), (m.get(w.toLowerCase()) || 0) + 1);
const objs = [];
for (let i = 0; i < 20000; i++) objs.push({id: i, name: words[i % words.length], tags: [i % 7, i % 11]});
const s = JSON.stringify(objs);
console.log(m.size, JSON.parse(s).length, s.length);
""")
EOF

# a small git history: 40 commits editing the generated text files
git init -q "$WORK/repo"
(
    cd "$WORK/repo"
    i=0
    while [ $i -lt 40 ]; do
        sed -n "$((i * 900 + 1)),$((i * 900 + 3000))p" "$WORK/lines.txt" >a.txt
        sed -n "$((i * 700 + 1)),$((i * 700 + 2000))p" "$WORK/lines2.txt" >b.txt
        git add a.txt b.txt
        GIT_AUTHOR_DATE="2024-01-01T00:00:$((i + 10))Z" GIT_COMMITTER_DATE="2024-01-01T00:00:$((i + 10))Z" \
            git commit -q -m "commit $i"
        i=$((i + 1))
    done
)
g++ -O0 -fPIC -c "$GTEST/src/gtest-all.cc" -I"$GTEST/include" -I"$GTEST" -o "$WORK/gtest-all.o"

# ---- the programs, small heaps and short runs first -----------------------------------
rec bc 105000 bc "bc computing 1500 digits of pi and e (arbitrary precision, tiny heap)" \
    sh -c 'printf "scale=1500\n4*a(1)\ne(1)\n" | BC_LINE_LENGTH=0 bc -l'
rec dc 100000 dc "dc: 300 iterations of big-number arithmetic" \
    sh -c 'echo "100k 1 sa 1 sb [la lb + sc lb sa lc sb lb 3 * 7 / p sz li 1 + d si 300 >m]sm 0 si lmx" | dc'
rec sed 60000 sed "sed: substitutions with back-references and hold space over 40000 lines" \
    sed -E -e 's/(ka|lo)([a-z]*)/\2\1/g' -e '/^zi/{h;d}' -e '$G' "$WORK/lines.txt"
rec grep 60000 grep "grep -E counting lines that match an alternation with back-references" \
    sh -c "grep -c -E '(ka|lo|mi)(ne|ru)+ .*\\b(sa|ti)vo' $WORK/lines.txt; grep -o -E '\\b([a-z]{2})\\1[a-z]*' $WORK/lines.txt | wc -l"
rec tsort 60000 tsort "tsort ordering a 20000-edge dependency graph (a tree of string nodes)" \
    tsort "$WORK/edges.txt"
rec diff 100000 diff "diff -u of two versions of a 40000-line file" \
    sh -c "diff -u $WORK/lines.txt $WORK/lines2.txt | wc -l"
rec find 105000 find "find over a generated tree of 24000 entries with name tests (fts: directory entries)" \
    sh -c "find $WORK/tree -name '*ka*' -o -name 'lo*' -o -type d -empty | wc -l"
rec units 60000 units "units converting 600 quantities (its unit database, then lookups)" \
    sh -c "units -q -v <$WORK/units.txt"
rec m4 60000 m4 "m4 expanding 6000 uses of 3000 recursive macros" m4 "$WORK/work.m4"
rec make 60000 make "make -n of a generated 3000-target makefile (rule and variable tables)" \
    make -n -r -C "$WORK" -f "$WORK/Makefile"
PICK=bison
rec bison 100000 bison "bison generating an LALR parser for a 300-nonterminal grammar" \
    bison -o "$WORK/gram.c" "$WORK/gram.y"
PICK=
rec flex 100000 flex "flex generating a scanner for 400 keyword and 60 pattern rules (DFA construction)" \
    flex -o "$WORK/scan.c" "$WORK/scan.l"
rec tcc 100000 tcc "tcc compiling a generated 1500-function C file" \
    tcc -c "$WORK/prog.c" -o "$WORK/prog.o"
rec git 100000 git "git log -p --stat of a 40-commit history (diffs, object cache)" \
    git -C "$WORK/repo" log -p --stat
rec xmllint 60000 xmllint "xmllint parsing and re-serializing iso_639-3.xml (a DOM of small nodes)" \
    sh -c 'xmllint --nodict --format /usr/share/xml/iso-codes/iso_639-3.xml | wc -c'
rec groff 105000 groff "groff formatting the bash manual page (C++: troff's node lists)" \
    sh -c 'zcat /usr/share/man/man1/bash.1.gz | groff -man -Tutf8 | wc -l'
rec nm 60000 nm "nm demangling every symbol of libstdc++" \
    sh -c 'nm -C -D /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | wc -l'
rec objdump 105000 objdump "objdump disassembling gtest-all.o with demangled symbols and relocations" \
    sh -c "objdump -d -r -C $WORK/gtest-all.o | wc -l"
rec ruby 105000 ruby "Ruby counting words, grouping 20000 structs (its own heap of slots above malloc)" \
    ruby "$WORK/work.rb" "$TEXT"
rec node 105000 node "Node.js counting words in a Map, JSON round trip of 20000 objects" \
    node "$WORK/work.js" "$TEXT"
rec clang 110000 clang++ "clang compiling gtest-all.cc at -O1 (the compiler proper, cc1plus-like)" \
    clang++ -O1 -c "$GTEST/src/gtest-all.cc" -I"$GTEST/include" -I"$GTEST" -o "$WORK/all.o"

if [ -n "$FAILED" ]; then
    echo "record-validation.sh: not recorded:$FAILED" >&2
    exit 1
fi
