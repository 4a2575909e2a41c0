/*
 * trace.h -- reading and validating a trace file (format: traces/README.md).
 *
 * A trace is a list of requests, one per line:
 *     a <id> <bytes>     p[id] = malloc(bytes)
 *     f <id>             free(p[id])
 *     r <id> <bytes>     p[id] = realloc(p[id], bytes)
 * with '#' comments, optionally preceded by a 4-number header (CS:APP .rep or
 * the 64-bit CMU layout: both put the id count second and the op count third).
 *
 * trace_read() accepts a file only if replaying it is well defined: every
 * free names a live id, no id is allocated twice while live, every size is
 * within MAX_REQUEST, and the header's counts (when there is one) match.
 */
#ifndef SLABLAB_TRACE_H
#define SLABLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define MAX_REQUEST ((size_t)1 << 30)   /* largest size one request may ask for */
#define MAX_IDS     ((size_t)1 << 24)   /* largest id + 1 in a headerless trace */
#define MAX_TRACE_FILE ((size_t)1 << 30)

enum op_kind { OP_ALLOC = 'a', OP_FREE = 'f', OP_REALLOC = 'r' };

/* 16 bytes: the timed replay streams through these, so they carry only what
 * a replay needs (the line numbers, for messages, live beside them). */
struct op {
    uint32_t kind;      /* enum op_kind */
    uint32_t id;
    uint32_t size;      /* bytes, <= MAX_REQUEST; 0 for a free */
    uint32_t old_size;  /* for a realloc: the id's size just before it */
};
_Static_assert(sizeof(struct op) == 16, "struct op is 16 bytes");
_Static_assert(MAX_REQUEST <= UINT32_MAX, "a size fits in struct op");

struct trace {
    char *path;
    const char *name;      /* file name without directories */
    struct op *ops;
    uint32_t *lines;       /* lines[i]: the 1-based file line of ops[i] */
    size_t nops;
    size_t nids;           /* ids are 0 .. nids-1 */
    int has_header;
    long header[4];        /* the 4 header numbers, as written */

    /* Derived while reading (see trace_stats). */
    size_t peak_payload;   /* max over time of the sum of live sizes */
    size_t peak_op;        /* index of the op after which that max is reached */
    size_t peak_aligned;   /* max over time of the sum of live sizes rounded to 16 */
    size_t count[3];       /* allocs, frees, reallocs */
};

/* Read and validate path.  On success return 0.  On failure return -1 and
 * write "path:line: reason" into err (errlen bytes); nothing is leaked. */
int trace_read(const char *path, struct trace *t, char *err, size_t errlen);

/* Same, from a buffer (used by the fuzzer and the tests); name is used in
 * messages in place of a path. */
int trace_parse(const char *name, const char *buf, size_t len, struct trace *t,
                char *err, size_t errlen);

void trace_free(struct trace *t);

/* The utilization a zero-fragmentation allocator with 16-byte alignment would
 * reach: peak_payload / peak_aligned (1.0 for an empty trace). */
double trace_ceiling(const struct trace *t);

#endif /* SLABLAB_TRACE_H */
