/*
 * replay.h -- replaying a trace against an allocator, with and without checks.
 *
 * Runs inside the sandboxed child (sandbox.h).  The checked replay verifies
 * every guarantee of include/my_alloc.h on every operation and stops at the
 * first broken one; the timed replay only calls the allocator.
 */
#ifndef SLABLAB_REPLAY_H
#define SLABLAB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "livemap.h"
#include "trace.h"

/* The allocator under test, as a table of calls (the student's, or libc's). */
struct allocator {
    const char *name;                 /* "my_alloc" or "libc" */
    int uses_heap;                    /* payloads must lie in the simulated heap */
    int (*init)(void);
    void *(*alloc)(size_t);
    void (*free)(void *);
    void *(*realloc)(void *, size_t); /* or NULL: the driver then allocs, copies, frees */
    int (*check)(void);               /* the heap checker, or NULL */
};
extern const struct allocator student_allocator, libc_allocator;

struct replay_error {
    char kind[16];        /* see README "error kinds"; "" when no error */
    long op;              /* index of the failing op, or -1 */
    uint32_t id;          /* for "corrupted": the block whose bytes changed, */
    long byte;            /* and the first changed byte */
    char message[600];
};

/* One point of utilization over time. */
struct series_point { uint32_t op; uint64_t payload, heap; };

/* One block of a heap map (offsets from mem_heap_lo; payload -1 when free). */
struct map_block { int64_t offset, size, payload, requested, slab_class; };
struct heap_map { uint32_t op; int walk; uint64_t heap_size; size_t n, cap; struct map_block *blocks; };

#define SERIES_POINTS 2000

/* Scratch space for replaying one trace, reused across replays. */
struct replay {
    const struct trace *t;
    void **ptrs;                  /* payload of each id, NULL when not live */
    size_t *sizes;                /* its requested size */
    uint32_t *lines;              /* the trace line that allocated it */
    struct livemap live;
    int64_t *first_pass;          /* offset returned at each op in pass 1 */
    volatile long *progress;      /* where the current op index is published */
    int check_heap;               /* call the allocator's checker ... */
    long check_every;             /* ... after every check_every-th op and the last */
    uint32_t watch;               /* a block whose byte watch_byte is verified after */
    long watch_byte;              /* every op, or LIVEMAP_NONE */
    int record;                   /* pass 1: record series and heap maps */
    struct series_point *series;
    size_t nseries;
    struct heap_map maps[2];      /* at the peak, at the end */
};

int replay_init(struct replay *r, const struct trace *t, volatile long *progress);
void replay_destroy(struct replay *r);

/* Checked replay number pass (1 or 2) from an empty heap.  Returns 0, or -1
 * with *err filled in.  Pass 2 also compares every address with pass 1. */
int replay_checked(struct replay *r, const struct allocator *a, int pass, struct replay_error *err);

/* After pass 1 found a corrupted payload (err), replay once more watching
 * only that block after every op, to name the op that overwrote it: err's
 * op and message are updated when it is found earlier. */
void replay_find_corruptor(struct replay *r, const struct allocator *a, struct replay_error *err);

/* One unchecked replay; returns the seconds spent in the allocator's calls
 * (my_init and cleanup excluded), or a negative value if it returned NULL. */
double replay_timed(struct replay *r, const struct allocator *a);

/* The message the allocator's checker gave with heap_report (heap_report.c). */
const char *heap_report_message(void);
void heap_report_clear(void);

/* Monotonic clock in seconds. */
double now_seconds(void);

#endif /* SLABLAB_REPLAY_H */
