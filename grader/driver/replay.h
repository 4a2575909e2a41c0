/*
 * replay.h -- replaying a trace against an allocator, with and without checks.
 *
 * The same code runs in two places: in the checker (main.c), where the
 * allocator is a host process reached through remote.c and the heap is the
 * checker's view of the shared memfd (heap_view.c); and in the allocator
 * host's debug and replay-only modes (host.c), where the allocator is linked
 * in and the heap is memlib.c's.  The checked replay verifies every
 * guarantee of include/my_alloc.h on every operation and stops at the first
 * broken one; the timed replay only calls the allocator.
 */
#ifndef SLABLAB_REPLAY_H
#define SLABLAB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "livemap.h"
#include "my_alloc.h"
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
    void (*walk)(heap_visit_fn *visit, void *ctx);   /* my_heap_walk, or NULL */
};
/* In the allocator host only (local_alloc.c): the linked-in allocator and libc. */
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
    long break_at;                /* debug mode: call replay_break before this op, or -1 */
    struct heap_map *frames;      /* pass 1: a heap map after every op, when not NULL */
    int one_by_one;               /* batches of one op (checked.c) */
    /* the checked replay replay_find_corruptor repeats (default replay_checked) */
    int (*run)(struct replay *r, const struct allocator *a, int pass, struct replay_error *err);
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

/* The checks, one by one, for the checker's batched replay (checked.c);
 * each returns 0, or -1 with *err filled in.  C1-C3, C7 for a new payload;
 * C4 for a live one; C6 and C9 after an op; C8 against pass 1. */
int replay_check_new(struct replay *r, const struct allocator *a, long i, const char *call,
                     uint32_t id, size_t size, void *p, struct replay_error *err);
int replay_check_intact(struct replay *r, long i, uint32_t id, const char *when, struct replay_error *err);
int replay_check_after(struct replay *r, const struct allocator *a, long i, struct replay_error *err);
int replay_check_same(struct replay *r, int pass, long i, void *p, struct replay_error *err);
int replay_fail(struct replay_error *err, const char *kind, long op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void replay_record_point(struct replay *r, size_t i, uint64_t payload);
void replay_record_map(struct replay *r, const struct allocator *a, int which, size_t i);
void replay_record_map_into(struct replay *r, const struct allocator *a, struct heap_map *m, size_t i);

/* realloc through the table, or without one alloc + copy + free. */
void *call_realloc(const struct allocator *a, void *p, size_t old, size_t size);

/* Debug mode (--break-at N): called right before op N; a breakpoint on it
 * stops a debugger there, with the heap checker's view already printed. */
void replay_break(const struct replay *r, const struct allocator *a, long op);

/* One unchecked replay; returns the seconds spent in the allocator's calls
 * (my_init and cleanup excluded), or a negative value if it returned NULL. */
double replay_timed(struct replay *r, const struct allocator *a);

/* The message the allocator's checker gave with heap_report (heap_report.c). */
const char *heap_report_message(void);
void heap_report_clear(void);

/* Monotonic clock in seconds. */
double now_seconds(void);

/* What a replay did, in 64 bits: FNV-1a over each op's answer (its payload's
 * heap offset, -1 for none) and the final heap size.  The checker computes it
 * from the checked replay; the host prints it after an unchecked one
 * (--replay-only), so a run the checker does not watch (valgrind's
 * instruction count) can be held to the replay it did watch. */
uint64_t replay_digest(const int64_t *answers, size_t n, uint64_t heap_size);

#endif /* SLABLAB_REPLAY_H */
