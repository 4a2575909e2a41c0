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

DRIVER_SRCS := $(wildcard grader/driver/*.c)
DRIVER_OBJS := $(patsubst grader/driver/%.c,$(BUILD)/driver/%.o,$(DRIVER_SRCS))
DRIVER_HDRS := $(wildcard grader/driver/*.h) include/my_alloc.h include/memlib.h

.PHONY: all clean grade test test-unit test-py bench
all: $(BUILD)/driver-starter $(BUILD)/driver-solution

# ---- the driver: libdriver.a holds main(); link it with one allocator -----
$(BUILD)/driver/%.o: grader/driver/%.c $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) -c $< -o $@

$(BUILD)/libdriver.a: $(DRIVER_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/alloc/%.o: %/my_alloc.c include/my_alloc.h include/memlib.h
	@mkdir -p $(dir $@)
	$(CC) $(KIT_CFLAGS) -c $< -o $@

$(BUILD)/driver-%: $(BUILD)/alloc/%.o $(BUILD)/libdriver.a
	$(CC) $(CFLAGS) $^ -o $@

# ---- grading ---------------------------------------------------------------
grade: $(BUILD)/libdriver.a
	$(PYTHON) -m grader $(SUBMISSION)

# ---- tests -------------------------------------------------------------------
# Every tests/unit/test_*.c is one Criterion binary.  A test file names the
# allocator it runs against on its first line: "// alloc: solution" (default:
# none -- it links the driver library only).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
alloc_of = $(shell sed -n '1s|^// alloc: *\([a-z_]*\).*|\1|p' $(1))

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdriver.a $$(if $$(call alloc_of,tests/unit/%.c),$(BUILD)/alloc/$$(call alloc_of,tests/unit/%.c).o) $(DRIVER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DRIVER_CFLAGS) -DSLABLAB_NO_MAIN $(filter %.c %.o,$^) $(BUILD)/libdriver-nomain.a -lcriterion -o $@

# The tests link the driver's pieces without its main().
$(BUILD)/libdriver-nomain.a: $(filter-out $(BUILD)/driver/main.o,$(DRIVER_OBJS))
	rm -f $@
	ar rcs $@ $^
$(UNIT_BINS): $(BUILD)/libdriver-nomain.a

test: test-unit test-py

test-unit: all $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t --jobs 2; done

test-py: all
	$(PYTEST) -q tests

bench: all
	$(PYTHON) -m grader.bench

clean:
	rm -rf $(BUILD) dist
