/*
 * fuzz_trace.c -- libFuzzer target for the trace reader (grader/driver/trace.c).
 *
 * Any byte string goes to trace_parse.  It must either accept it, and then
 * the trace must satisfy every rule the replay relies on (trace.h T1-T4: ids
 * below nids, frees and reallocs of live ids only, sizes in range, counts
 * that add up), or reject it with one "fuzz:LINE: reason" message.  Run with
 * `make fuzz` (bounded) or `make fuzz-long`; README section "sandbox".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "broken: %s\n", #cond); abort(); } } while (0)

static void check_accepted(const struct trace *t)
{
    CHECK(t->count[0] + t->count[1] + t->count[2] == t->nops);
    uint8_t *live = calloc(t->nids ? t->nids : 1, 1);
    CHECK(live != NULL);
    size_t payload = 0, peak = 0;
    size_t *sizes = calloc(t->nids ? t->nids : 1, sizeof *sizes);
    CHECK(sizes != NULL);
    for (size_t i = 0; i < t->nops; i++) {
        const struct op *op = &t->ops[i];
        CHECK(op->id < t->nids);
        CHECK(op->size <= MAX_REQUEST);
        CHECK(i == 0 || t->lines[i] > t->lines[i - 1]);
        switch (op->kind) {
        case OP_ALLOC:
            CHECK(!live[op->id]);
            break;
        case OP_FREE:
            CHECK(live[op->id] && op->size == 0);
            break;
        case OP_REALLOC:
            CHECK(live[op->id] && op->size > 0);
            break;
        default:
            CHECK(0);
        }
        payload = payload - sizes[op->id] + op->size;
        sizes[op->id] = op->size;
        live[op->id] = op->kind != OP_FREE;
        if (payload > peak)
            peak = payload;
    }
    CHECK(peak == t->peak_payload);
    CHECK(t->peak_aligned >= t->peak_payload);
    if (t->has_header)
        CHECK((size_t)t->header[2] == t->nops && (size_t)t->header[1] == t->nids);
    free(live);
    free(sizes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace t;
    char err[512];
    err[0] = '\0';
    if (trace_parse("fuzz", (const char *)data, size, &t, err, sizeof err) == 0) {
        check_accepted(&t);
        trace_free(&t);
    } else {
        unsigned line;
        CHECK(sscanf(err, "fuzz:%u: ", &line) == 1 && strlen(err) > 7);
        CHECK(memchr(err, '\n', strlen(err)) == NULL);
    }
    return 0;
}
