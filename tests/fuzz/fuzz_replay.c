/*
 * fuzz_replay.c -- libFuzzer target for the driver's replay loop
 * (grader/driver/replay.c) against the reference solution.
 *
 * The input is read as a trace; a valid one (at most MAX_OPS requests of at
 * most MAX_SIZE bytes, so that one input stays fast) is replayed in-process
 * twice with every check, plus one timed replay, exactly as the sandboxed
 * child does.  The solution is correct, so any reported error -- or any
 * crash or sanitizer report in the driver -- is a finding.
 */
#include <stdio.h>
#include <stdlib.h>

#include "memlib.h"
#include "replay.h"
#include "trace.h"

#define MAX_OPS 4000
#define MAX_SIZE ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace t;
    char err[512];
    if (trace_parse("fuzz", (const char *)data, size, &t, err, sizeof err) != 0)
        return 0;
    int small = t.nops <= MAX_OPS;
    for (size_t i = 0; small && i < t.nops; i++)
        small = t.ops[i].size <= MAX_SIZE;
    if (!small || mem_init() != 0) {
        trace_free(&t);
        return 0;
    }
    static volatile long progress;
    struct replay r;
    if (replay_init(&r, &t, &progress) != 0)
        abort();
    r.check_heap = 1;
    r.record = 1;
    struct replay_error e;
    for (int pass = 1; pass <= 2; pass++)
        if (replay_checked(&r, &student_allocator, pass, &e) != 0) {
            fprintf(stderr, "pass %d: %s at op %ld: %s\n", pass, e.kind, e.op, e.message);
            abort();
        }
    if (replay_timed(&r, &student_allocator) < 0 || replay_timed(&r, &libc_allocator) < 0)
        abort();
    replay_destroy(&r);
    trace_free(&t);
    return 0;
}
