/*
 * result.h -- what the child reports about one trace (RECORD_RESULT), and
 * what the parent makes of it for the table and the JSON document.
 */
#ifndef SLABLAB_RESULT_H
#define SLABLAB_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "trace.h"

#define MAX_SAMPLES 32

/* Written by the child; a plain struct, since parent and child are one binary. */
struct trace_result {
    int correct;
    struct replay_error err;
    uint64_t heap_size;
    double checked_seconds;      /* duration of the first checked replay */
    int samples;
    double rate[MAX_SAMPLES];    /* ops/s of the allocator, sample by sample */
    double libc_rate[MAX_SAMPLES];
};

/* Everything the parent knows about one trace. */
struct report {
    const char *path;
    struct trace trace;          /* empty when the file was malformed */
    int correct;
    char kind[16];               /* "" when correct */
    long op, line;               /* -1 when not tied to an op */
    char message[1024];
    uint64_t heap_size;
    double util, ceiling;        /* util < 0: unknown */
    int samples;
    double rate[3], libc_rate[3], ratio[3];   /* median, min, max */
    double checked_rate;
    char *output;
    size_t output_len;
    int output_truncated;
    struct series_point *series;
    size_t nseries;
    struct heap_map maps[2];
    int nmaps;
};

struct options {
    int check_heap, verbose, libc, json, timing, heapdump, lint, quiet;
    int samples;
    long check_every;        /* --check-every N: the heap checker after every N-th op */
    double timeout_s;
};

/* output.c */
void print_table(const struct report *reps, size_t n, const struct options *o);
void print_json(const struct report *reps, size_t n, const struct options *o);
void print_lint(const struct trace *t);
void describe_op(char *buf, size_t n, const struct trace *t, long op);

#endif /* SLABLAB_RESULT_H */
