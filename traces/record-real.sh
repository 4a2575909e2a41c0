#!/bin/sh
# record-real.sh -- re-record the real-program traces: traces/real-*.rep.
#
#   sh traces/record-real.sh OUTDIR [validation]
#
# Each program runs under the recorder (grader/recorder/record.py, needs
# build/librecorder.so: `make recorder`) on a fixed input made here, and the
# trace of its busiest process becomes OUTDIR/real-NAME.rep (cut at the op cap
# given below).  With "validation", a second group of programs that are NOT in
# the public set is recorded instead, as OUTDIR/val-NAME.rep: they are what
# tests/test_traces_predict.py-style studies compare rankings on.
#
# Programs (Debian packages): g++, python3, perl, sqlite3, jq, clang-format,
# lua5.4, gawk, and for validation clang, bc, nodejs, git, binutils (ld, nm).
# (tclsh and mawk were tried: they use their own pool allocators, so libc
# sees only a few hundred large requests.)  A missing
# program is reported and skipped.  Recordings differ slightly from run to run
# (hash seeds are pinned, but environment sizes and libc internals vary);
# what is committed is one run's result.
set -eu
OUT=${1:?usage: record-real.sh OUTDIR [validation]}
GROUP=${2:-public}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/slablab-real.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILED=
export PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 LC_ALL=C

# rec NAME MAXOPS "what it stresses" PROGRAM ARGS... (stdin/stdout are the program's)
rec() {
    name=$1 max=$2 what=$3
    shift 3
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "record-real.sh: $1 not installed: skipping $name" >&2
        return 0
    fi
    rm -rf "$WORK/out" && mkdir -p "$WORK/out"
    /usr/bin/python3 "$ROOT/grader/recorder/record.py" --quiet -o "$WORK/out" --name "$name" \
        --max-ops "$max" --min-ops 100 --describe "$name: $what" -- "$@" >"$WORK/stdout" 2>"$WORK/stderr" || {
        echo "record-real.sh: $name: the program failed:" >&2
        tail -5 "$WORK/stderr" >&2
        FAILED="$FAILED $name"
        return 0
    }
    # keep the process with the most requests (the compiler proper, not its driver)
    best=$(wc -l "$WORK"/out/*.rep | grep -v ' total$' | sort -n | tail -1 | awk '{print $2}')
    prefix=real
    [ "$GROUP" = validation ] && prefix=val
    mv "$best" "$OUT/$prefix-$name.rep"
    echo "$OUT/$prefix-$name.rep: $(grep -m1 " ops (a " "$OUT/$prefix-$name.rep" | cut -c3-)"
}

# ---- inputs (deterministic) --------------------------------------------------------
TEXT="$WORK/text.txt"
cat /usr/share/perl/5.*/pod/perldiag.pod /usr/share/common-licenses/GPL-3 \
    /usr/share/common-licenses/Apache-2.0 /usr/share/common-licenses/MPL-2.0 >"$TEXT" 2>/dev/null || true

/usr/bin/python3 - "$WORK" <<'EOF'
import json, random, sys
rng = random.Random(7)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
items = [{"name": rng.choice(words) + str(rng.randrange(300)),
          "vals": [rng.randrange(1000) for _ in range(rng.randrange(1, 12))],
          "tags": {w: rng.random() for w in rng.sample(words, 3)}}
         for _ in range(6000)]
json.dump(items, open(sys.argv[1] + "/data.json", "w"))
EOF

cat >"$WORK/sqlite.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, body TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000)
INSERT INTO t SELECT x, printf('name-%d-%d', x * 7919 % 10007, x), x % 97,
                     substr(hex(randomblob(40)), 1, 20 + x % 60) FROM c;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp ON t(grp, body);
SELECT grp, count(*), max(length(body)) FROM t GROUP BY grp ORDER BY 2 DESC LIMIT 5;
SELECT count(*) FROM t a JOIN t b ON a.grp = b.grp AND a.id = b.id + 1;
EOF

cat >"$WORK/work.py" <<'EOF'
import ast, glob, os, sys
total = 0
for path in sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py")))[:40]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    total += sum(1 for _ in ast.walk(tree))
print("nodes", total)
EOF

cat >"$WORK/work.lua" <<'EOF'
local freq, words = {}, {}
for line in io.lines(arg[1]) do
  for w in line:gmatch("%a+") do w = w:lower(); freq[w] = (freq[w] or 0) + 1 end
end
for w, n in pairs(freq) do words[#words + 1] = {w, n} end
table.sort(words, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
for i = 1, 5 do print(words[i][1], words[i][2]) end
local t = {}
for i = 1, 20000 do t[i] = string.rep("x", i % 50) .. i end
print(#table.concat(t, ","))
EOF

cat >"$WORK/work.js" <<'EOF'
const fs = require('fs');
const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const groups = new Map();
for (const it of data) { const k = it.name.replace(/\d+/, ''); groups.set(k, (groups.get(k) || 0) + it.vals.length); }
console.log([...groups.entries()].sort().slice(0, 5));
EOF

GTEST=/usr/src/googletest/googletest

if [ "$GROUP" = public ]; then
    rec gcc 250000 "g++ compiling googletest's gtest.cc (cc1plus: parser, trees, optimizer)" \
        g++ -O1 -c "$GTEST/src/gtest.cc" -I"$GTEST/include" -I"$GTEST" -o "$WORK/gtest.o"
    rec python 200000 "CPython (PYTHONMALLOC=malloc) parsing 40 stdlib modules with ast" \
        env PYTHONMALLOC=malloc /usr/bin/python3 "$WORK/work.py"
    rec perl 150000 "Perl counting words in 600 KB of text (hashes, strings)" \
        perl -ne '$c{lc $1}++ while /(\w+)/g; END { print scalar(keys %c), "\n" }' "$TEXT"
    rec sqlite 200000 "SQLite inserting 30000 rows and building two indexes" \
        sqlite3 "$WORK/t.db" ".read $WORK/sqlite.sql"
    rec jq 200000 "jq grouping and sorting 6000 JSON objects" \
        jq -c 'group_by(.name) | map({name: .[0].name, n: length, s: (map(.vals | add) | add)}) | sort_by(-.s) | .[:3]' "$WORK/data.json"
    rec clang-format 200000 "clang-format reformatting gtest.cc (C++ tokens, many small strings)" \
        clang-format --style=LLVM "$GTEST/src/gtest.cc"
    rec lua 150000 "Lua 5.4 counting words in a table, sorting, building strings" \
        lua5.4 "$WORK/work.lua" "$TEXT"
    rec gawk 100000 "gawk counting words in an associative array (many short strings)" \
        gawk '{ for (i = 1; i <= NF; i++) c[tolower($i)]++ } END { print length(c) }' "$TEXT"
else
    rec clang 200000 "clang compiling gtest-all.cc" \
        clang++ -O1 -c "$GTEST/src/gtest-all.cc" -I"$GTEST/include" -I"$GTEST" -o "$WORK/all.o"
    rec bc 100000 "bc computing 2000 digits of pi" sh -c 'echo "scale=2000; 4*a(1)" | BC_LINE_LENGTH=0 bc -l'
    rec node 150000 "Node.js parsing and grouping JSON" node "$WORK/work.js" "$WORK/data.json"
    rec git 100000 "git log -p of this repository" git -C "$ROOT" log -p --stat
    g++ -O0 -fPIC -c "$GTEST/src/gtest-all.cc" -I"$GTEST/include" -I"$GTEST" -o "$WORK/all.o"
    rec ld 100000 "the GNU linker making a shared library of gtest-all.o" \
        g++ -shared -o "$WORK/libg.so" "$WORK/all.o"
    rec nm 100000 "nm demangling every symbol of libstdc++" \
        sh -c 'nm -C -D /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | wc -l'
fi
if [ -n "$FAILED" ]; then
    echo "record-real.sh: failed:$FAILED" >&2
    exit 1
fi
