#!/usr/bin/env bash
# PrairieLearn external-grader entry point
# (externalGradingOptions.entrypoint in questions/slablab/info.json:
#  /grade/serverFilesCourse/slablab/deploy/prairielearn/run.sh).
# The student's files are in /grade/student, the result must be
# /grade/results/results.json (gradable, score in [0, 1], tests[]).  The kit
# is copied to a scratch directory when serverFilesCourse is read-only.
# Grading stays within PrairieLearn's default 30 s ([budget] prairielearn).
# Whatever happens, a valid results.json is written.
# PL_GRADE_ROOT (default /grade) lets the tests emulate the layout.
ROOT="${PL_GRADE_ROOT:-/grade}"
RESULTS="$ROOT/results/results.json"
KIT="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
if [ ! -w "$KIT" ]; then
    scratch="$(mktemp -d)"
    cp -R "$KIT" "$scratch/slablab" && KIT="$scratch/slablab"
fi
cd "$KIT" || exit 0
python3 -m grader.deploy prairielearn --root "$ROOT" "$@"
status=$?
if ! python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (isinstance(d.get("score"), (int, float)) and "gradable" in d))' "$RESULTS" 2>/dev/null; then
    cat > "$RESULTS" <<JSON
{"gradable": false, "score": 0.0, "message": "The autograder could not run (exit status $status); this is not your fault.", "format_errors": ["internal autograder failure (exit status $status)"], "tests": []}
JSON
fi
exit 0
