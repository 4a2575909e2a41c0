/*
 * result.h -- what the checker learnt about one trace, for the table and the
 * JSON document (output.c).
 */
#ifndef SLABLAB_RESULT_H
#define SLABLAB_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "trace.h"

#define MAX_SAMPLES 32

/* Everything the checker knows about one trace. */
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
    struct heap_map *frames;     /* --frames: one per op, or NULL */
    int64_t *frame_offsets;      /* --frames: each op's payload offset after it, -1: none */
    uint64_t image_hash;         /* the heap's bytes after the first checked replay */
    uint64_t replay_digest;      /* replay_digest() of the checked replay, if correct */
    char timing_note[240];       /* why throughput was not measured, or "" */
    int failed_pass;             /* the checked replay (1, 2) that failed, or 0 */
};

struct options {
    int check_heap, verbose, libc, json, timing, heapdump, lint, quiet;
    int samples;
    long check_every;        /* --check-every N: the heap checker after every N-th op */
    long frames;             /* --frames N */
    double timeout_s;
    const char *allocator;   /* the allocator host to check */
    const char *libc_host;   /* libc's host, the throughput baseline */
};

/* output.c */
void print_table(const struct report *reps, size_t n, const struct options *o);
void print_json(const struct report *reps, size_t n, const struct options *o);
void print_lint(const struct trace *t);
void describe_op(char *buf, size_t n, const struct trace *t, long op);

#endif /* SLABLAB_RESULT_H */
