/*
 * replay.c -- checked and timed replays of one trace.
 *
 * The checked replay enforces, on every operation, the allocator's side of
 * the contract in include/my_alloc.h:
 *   C1  a payload is 16-byte aligned;
 *   C2  it lies inside the heap (for the student's allocator);
 *   C3  it overlaps no live payload (livemap.h);
 *   C4  its bytes keep the pattern the driver wrote until it is freed;
 *   C5  realloc keeps the first min(old, new) bytes;
 *   C6  nothing is written past the break (memlib's slack stays zero);
 *   C7  my_alloc(0) is NULL, and NULL is returned for nothing else;
 *   C8  a second replay after my_init returns the very same addresses;
 *   C9  the allocator's own checker, when asked, finds nothing wrong.
 * Every payload is filled with a pattern that depends on its id and on the
 * position in the payload, so a shifted copy is caught as surely as an
 * overwrite.
 */
#include "replay.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memlib.h"
#include "pattern.h"
#include "result.h"

/* realloc, or without one alloc + copy + free. */
void *call_realloc(const struct allocator *a, void *p, size_t old, size_t size)
{
    if (a->realloc)
        return a->realloc(p, size);
    void *q = a->alloc(size);
    if (q) {
        memcpy(q, p, old < size ? old : size);
        a->free(p);
    }
    return q;
}

/* ---- errors -------------------------------------------------------------------- */

int replay_fail(struct replay_error *err, const char *kind, long op, const char *fmt, ...)
{
    snprintf(err->kind, sizeof err->kind, "%s", kind);
    err->op = op;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* "heap+0x40" for addresses in the heap's region, the raw pointer otherwise. */
static const char *where(char *buf, size_t n, const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)mem_heap_lo();
    if (lo && a >= lo && a - lo <= MEM_MAX_HEAP)
        snprintf(buf, n, "heap+%#lx", (unsigned long)(a - lo));
    else   /* as the allocator saw it */
        snprintf(buf, n, "%#lx", (unsigned long)(a - lo + mem_display_base()));
    return buf;
}

/* ---- setup ------------------------------------------------------------------------ */

int replay_init(struct replay *r, const struct trace *t, volatile long *progress)
{
    memset(r, 0, sizeof *r);
    r->t = t;
    r->watch = LIVEMAP_NONE;
    r->break_at = -1;
    r->progress = progress;
    size_t nids = t->nids ? t->nids : 1;
    r->ptrs = calloc(nids, sizeof *r->ptrs);
    r->sizes = calloc(nids, sizeof *r->sizes);
    r->lines = calloc(nids, sizeof *r->lines);
    r->first_pass = calloc(t->nops ? t->nops : 1, sizeof *r->first_pass);
    r->series = calloc(SERIES_POINTS + 4, sizeof *r->series);
    if (!r->ptrs || !r->sizes || !r->lines || !r->first_pass || !r->series ||
        livemap_init(&r->live, nids) != 0) {
        replay_destroy(r);
        return -1;
    }
    return 0;
}

void replay_destroy(struct replay *r)
{
    free(r->ptrs);
    free(r->sizes);
    free(r->lines);
    free(r->first_pass);
    free(r->series);
    free(r->maps[0].blocks);
    free(r->maps[1].blocks);
    if (r->frames)
        for (size_t i = 0; i < r->t->nops; i++)
            free(r->frames[i].blocks);
    free(r->frames);
    livemap_destroy(&r->live);
    memset(r, 0, sizeof *r);
}

/* Start a replay from nothing: an empty heap and a fresh allocator.  A warm
 * start keeps the heap's pages mapped (mem_reset_warm), for timing. */
static int begin(struct replay *r, const struct allocator *a, int warm)
{
    memset(r->ptrs, 0, (r->t->nids ? r->t->nids : 1) * sizeof *r->ptrs);
    livemap_clear(&r->live);
    if (a->uses_heap && warm)
        mem_reset_warm();
    else if (a->uses_heap)
        mem_reset();
    return a->init();
}

/* Give back what a libc replay left live (the simulated heap needs no such step). */
static void end(struct replay *r, const struct allocator *a)
{
    if (a->uses_heap)
        return;
    for (size_t id = 0; id < r->t->nids; id++)
        if (r->ptrs[id]) {
            a->free(r->ptrs[id]);
            r->ptrs[id] = NULL;
        }
}

/* ---- recording for the heap picture --------------------------------------------- */

void replay_record_point(struct replay *r, size_t i, uint64_t payload)
{
    if (r->nseries < SERIES_POINTS + 4)
        r->series[r->nseries++] = (struct series_point){ (uint32_t)i, payload, mem_heapsize() };
}

static void map_push(struct heap_map *m, struct map_block b)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        if (cap > 1u << 20)
            return;     /* a picture needs no more than a million blocks */
        struct map_block *n = realloc(m->blocks, cap * sizeof *n);
        if (!n)
            return;
        m->blocks = n;
        m->cap = cap;
    }
    m->blocks[m->n++] = b;
}

struct walk_ctx { struct replay *r; struct heap_map *m; };

static void visit_block(void *ctx, const struct heap_block *b)
{
    struct walk_ctx *w = ctx;
    char *lo = mem_heap_lo();
    struct map_block mb = { (const char *)b->start - lo, (int64_t)b->size, -1, 0, (int64_t)b->slab_class };
    if (b->payload) {
        mb.payload = (const char *)b->payload - lo;
        uint32_t id = livemap_find(&w->r->live, (uintptr_t)b->payload);
        if (id != LIVEMAP_NONE)
            mb.requested = (int64_t)w->r->sizes[id];
    }
    map_push(w->m, mb);
}

void replay_record_map_into(struct replay *r, const struct allocator *a, struct heap_map *m, size_t i)
{
    m->n = 0;
    m->op = (uint32_t)i;
    m->heap_size = mem_heapsize();
    m->walk = a->walk != NULL;
    if (m->walk) {
        struct walk_ctx w = { r, m };
        a->walk(visit_block, &w);
        return;
    }
    char *lo = mem_heap_lo();
    for (size_t id = 0; id < r->t->nids; id++)
        if (r->ptrs[id] && r->sizes[id]) {
            int64_t off = (char *)r->ptrs[id] - lo;
            map_push(m, (struct map_block){ off, (int64_t)r->sizes[id], off, (int64_t)r->sizes[id], 0 });
        }
}

void replay_record_map(struct replay *r, const struct allocator *a, int which, size_t i)
{
    replay_record_map_into(r, a, &r->maps[which], i);
}

/* Is a debugger attached (TracerPid in /proc/self/status)? */
static int being_traced(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    int traced = 0;
    if (!f)
        return 0;
    while (fgets(buf, sizeof buf, f))
        if (strncmp(buf, "TracerPid:", 10) == 0)
            traced = atoi(buf + 10) != 0;
    fclose(f);
    return traced;
}

void replay_break(const struct replay *r, const struct allocator *a, long op)
{
    char what[160];
    describe_op(what, sizeof what, r->t, op);
    fprintf(stderr, "slablab: stopped before %s; the heap is %zu bytes\n", what, mem_heapsize());
    if (a->check) {
        heap_report_clear();
        int rc = a->check();
        fprintf(stderr, "slablab: my_check_heap() = %d%s%s\n", rc, heap_report_message()[0] ? ": " : "",
                heap_report_message());
    }
    if (a->walk) {
        struct replay *rw = (struct replay *)r;
        struct heap_map m = { 0 };
        replay_record_map_into(rw, a, &m, (size_t)op);
        fprintf(stderr, "slablab: my_heap_walk: %zu blocks (offset size payload requested slab_class)\n", m.n);
        for (size_t k = 0; k < m.n && k < 200; k++)
            fprintf(stderr, "  heap+%#llx %lld %s%lld %lld %lld\n", (long long)m.blocks[k].offset,
                    (long long)m.blocks[k].size, m.blocks[k].payload < 0 ? "free " : "heap+",
                    (long long)m.blocks[k].payload, (long long)m.blocks[k].requested,
                    (long long)m.blocks[k].slab_class);
        free(m.blocks);
    }
    fflush(stderr);
    /* Under a debugger, stop here: gdb shows SIGTRAP in replay_break, and
     * `continue` goes on without passing it.  Unwatched, just go on. */
    if (being_traced())
        raise(SIGTRAP);
}

/* ---- the checked replay ------------------------------------------------------------- */

/* C1, C2, C3, C7 for a payload p just returned for id's request of size bytes. */
int replay_check_new(struct replay *r, const struct allocator *a, long i, const char *call,
                     uint32_t id, size_t size, void *p, struct replay_error *err)
{
    char w1[64], w2[64];
    if (size == 0)
        return p ? replay_fail(err, "not-null", i, "%s(0) returned %s; it must return NULL for size 0",
                        call, where(w1, sizeof w1, p))
                 : 0;
    if (!p)
        return replay_fail(err, "null", i, "%s(%zu) for id %u returned NULL, but the heap is only %zu bytes "
                    "(mem_sbrk can grant up to %zu)", call, size, id, mem_heapsize(), MEM_MAX_HEAP);
    if ((uintptr_t)p % ALIGNMENT)
        return replay_fail(err, "alignment", i, "%s(%zu) for id %u returned %s, which is not %d-byte aligned "
                    "(address %% %d = %lu)", call, size, id, where(w1, sizeof w1, p), ALIGNMENT,
                    ALIGNMENT, (unsigned long)((uintptr_t)p % ALIGNMENT));
    if (a->uses_heap && !mem_contains(p, size))
        return replay_fail(err, "outside-heap", i, "%s(%zu) for id %u returned [%s, +%zu), which is not inside "
                    "the heap [heap+0, heap+%#zx)", call, size, id, where(w1, sizeof w1, p), size,
                    mem_heapsize());
    uint32_t other = livemap_insert(&r->live, id, (uintptr_t)p, size);
    if (other != LIVEMAP_NONE)
        return replay_fail(err, "overlap", i, "%s(%zu) for id %u returned [%s, +%zu), which overlaps the live "
                    "payload of id %u [%s, +%zu) allocated at line %u", call, size, id,
                    where(w1, sizeof w1, p), size, other, where(w2, sizeof w2, r->ptrs[other]),
                    r->sizes[other], r->lines[other]);
    return 0;
}

/* C4 for id's live payload. */
int replay_check_intact(struct replay *r, long i, uint32_t id, const char *when, struct replay_error *err)
{
    long bad = pattern_check(r->ptrs[id], id, r->sizes[id]);
    if (bad < 0)
        return 0;
    char w[64];
    const uint8_t *b = r->ptrs[id];
    replay_fail(err, "corrupted", i, "the payload of id %u [%s, +%zu), allocated at line %u, was "
         "overwritten at byte %ld %s: expected 0x%02x, found 0x%02x", id,
         where(w, sizeof w, r->ptrs[id]), r->sizes[id], r->lines[id], bad, when,
         pattern_byte(id, (size_t)bad), b[bad]);
    err->id = id;
    err->byte = bad;
    return -1;
}

/* O(1) per op, whatever the block's size: the byte pass 1 found changed. */
static int watched_byte_changed(const struct replay *r)
{
    uint32_t id = r->watch;
    if (id == LIVEMAP_NONE || !r->ptrs[id] || (size_t)r->watch_byte >= r->sizes[id])
        return 0;
    return ((const uint8_t *)r->ptrs[id])[r->watch_byte] != pattern_byte(id, (size_t)r->watch_byte);
}

/* C6 and C9, after every operation. */
int replay_check_after(struct replay *r, const struct allocator *a, long i, struct replay_error *err)
{
    if (a->uses_heap) {
        long past = mem_slack_written();
        if (past >= 0)
            return replay_fail(err, "past-break", i, "the allocator wrote at heap+%#zx, %ld bytes past the "
                        "break (the heap is %zu bytes): memory past the break is not the heap's until "
                        "mem_sbrk grants it", mem_heapsize() + (size_t)past, past, mem_heapsize());
    }
    if (watched_byte_changed(r) && replay_check_intact(r, i, r->watch, "during this operation", err))
        return -1;
    int (*check)(void) = a->check;
    int due = r->check_every <= 1 || i % r->check_every == r->check_every - 1 ||
              (size_t)i + 1 == r->t->nops;
    if (r->check_heap && check && due) {
        heap_report_clear();
        int rc = check();
        if (rc != 0) {
            if (heap_report_message()[0])
                return replay_fail(err, "checker", i, "my_check_heap: %s", heap_report_message());
            return replay_fail(err, "checker", i, "my_check_heap returned %d (it gave no reason: "
                        "call heap_report to say which invariant broke)", rc);
        }
    }
    return 0;
}

/* C8: pass 2 must return what pass 1 returned. */
int replay_check_same(struct replay *r, int pass, long i, void *p, struct replay_error *err)
{
    int64_t off = p ? (int64_t)((char *)p - (char *)mem_heap_lo()) : -1;
    if (pass == 1) {
        r->first_pass[i] = off;
        return 0;
    }
    if (off == r->first_pass[i])
        return 0;
    return replay_fail(err, "reset", i, "the second replay returned heap+%#llx where the first returned "
                "heap+%#llx: my_init must reset all of the allocator's state, so that a replay "
                "after it behaves exactly like the first", (long long)off, (long long)r->first_pass[i]);
}

int replay_checked(struct replay *r, const struct allocator *a, int pass, struct replay_error *err)
{
    const struct trace *t = r->t;
    err->kind[0] = '\0';
    err->op = -1;
    if (begin(r, a, 0) != 0)
        return replay_fail(err, "init", -1, "my_init returned nonzero");
    int recording = r->record && pass == 1;
    size_t stride = t->nops / SERIES_POINTS + 1;
    uint64_t live = 0;
    if (recording)
        r->nseries = 0;

    for (size_t i = 0; i < t->nops; i++) {
        const struct op *op = &t->ops[i];
        uint32_t id = op->id;
        void *p;
        *r->progress = (long)i;
        if ((long)i == r->break_at)
            replay_break(r, a, (long)i);
        switch (op->kind) {
        case OP_ALLOC:
            p = a->alloc(op->size);
            if (replay_check_new(r, a, (long)i, a->uses_heap ? "my_alloc" : "malloc", id, op->size, p, err))
                return -1;
            r->ptrs[id] = p;
            r->sizes[id] = op->size;
            r->lines[id] = t->lines[i];
            if (p)
                pattern_fill(p, id, 0, op->size);
            live += op->size;
            break;
        case OP_FREE:
            p = r->ptrs[id];
            if (p && replay_check_intact(r, (long)i, id, "before it was freed", err))
                return -1;
            if (p)
                livemap_remove(&r->live, id);
            a->free(p);
            live -= r->sizes[id];
            r->ptrs[id] = NULL;
            r->sizes[id] = 0;
            break;
        case OP_REALLOC: {
            size_t old = r->sizes[id];
            void *old_p = r->ptrs[id];
            if (!old_p) {   /* a realloc of an id whose my_alloc(0) gave NULL */
                p = a->alloc(op->size);
            } else {
                if (replay_check_intact(r, (long)i, id, "before it was reallocated", err))
                    return -1;
                livemap_remove(&r->live, id);
                p = call_realloc(a, old_p, old, op->size);
            }
            if (replay_check_new(r, a, (long)i, a->uses_heap ? "my_realloc" : "realloc", id, op->size, p, err))
                return -1;
            size_t kept = old < op->size ? old : op->size;
            long bad = pattern_check(p, id, kept);
            if (bad >= 0) {
                char w[64];
                return replay_fail(err, "realloc-data", (long)i, "realloc of id %u from %zu to %zu bytes "
                            "(%s) did not keep its contents: byte %ld should be 0x%02x, found 0x%02x",
                            id, old, (size_t)op->size, where(w, sizeof w, p), bad,
                            pattern_byte(id, (size_t)bad), ((uint8_t *)p)[bad]);
            }
            pattern_fill(p, id, kept, op->size);
            r->ptrs[id] = p;
            r->sizes[id] = op->size;
            r->lines[id] = t->lines[i];
            live = live - old + op->size;
            break;
        }
        }
        if (a->uses_heap && replay_check_same(r, pass, (long)i, r->ptrs[id], err))
            return -1;
        if (replay_check_after(r, a, (long)i, err))
            return -1;
        if (recording) {
            if (i % stride == stride - 1 || i == t->peak_op || i + 1 == t->nops)
                replay_record_point(r, i, live);
            if (i == t->peak_op)
                replay_record_map(r, a, 0, i);
            if (r->frames)
                replay_record_map_into(r, a, &r->frames[i], i);
        }
    }
    for (size_t id = 0; id < t->nids; id++)
        if (r->ptrs[id] && replay_check_intact(r, (long)t->nops - 1, (uint32_t)id, "before the end of the trace", err))
            return -1;
    if (recording && t->nops)
        replay_record_map(r, a, 1, t->nops - 1);
    end(r, a);
    return 0;
}

void replay_find_corruptor(struct replay *r, const struct allocator *a, struct replay_error *err)
{
    struct replay_error found;
    int record = r->record;
    r->record = 0;
    r->watch = err->id;
    r->watch_byte = err->byte;
    int rc = r->run ? r->run(r, a, 1, &found) : replay_checked(r, a, 1, &found);
    r->watch = LIVEMAP_NONE;
    r->record = record;
    if (rc == 0 || strcmp(found.kind, "corrupted") != 0 || found.id != err->id || found.op >= err->op)
        return;   /* not earlier (or not the same story): keep what pass 1 said */
    char later[96];
    snprintf(later, sizeof later, "; the driver only noticed at op %ld (line %u)", err->op,
             r->t->lines[err->op]);
    found.message[sizeof found.message - sizeof later] = '\0';
    strcat(found.message, later);
    *err = found;
}

/* ---- the timed replay --------------------------------------------------------------- */

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fnv1a(uint64_t h, uint64_t v)
{
    for (int b = 0; b < 8; b++, v >>= 8)
        h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
    return h;
}

uint64_t replay_digest(const int64_t *answers, size_t n, uint64_t heap_size)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = fnv1a(h, (uint64_t)answers[i]);
    return fnv1a(h, heap_size);
}

double replay_timed(struct replay *r, const struct allocator *a)
{
    const struct trace *t = r->t;
    if (begin(r, a, 1) != 0)
        return -1;
    /* Everything the loop needs is in locals or in the op itself (a realloc
     * carries its old size), so the loop costs both allocators as little as
     * possible: what is timed is theirs. */
    void *(*alloc)(size_t) = a->alloc;
    void (*release)(void *) = a->free;
    void **ptrs = r->ptrs;
    const struct op *op = t->ops, *last = t->nops ? t->ops + t->nops : t->ops;  /* ops is NULL when empty */
    int failed = 0;
    double start = now_seconds();
    for (; op < last; op++) {
        void **slot = &ptrs[op->id];
        switch (op->kind) {
        case OP_ALLOC:
            *slot = alloc(op->size);
            failed |= !*slot && op->size;
            break;
        case OP_FREE:
            release(*slot);
            *slot = NULL;
            break;
        case OP_REALLOC:
            *slot = *slot ? call_realloc(a, *slot, op->old_size, op->size) : alloc(op->size);
            failed |= !*slot;
            break;
        }
    }
    double elapsed = now_seconds() - start;
    end(r, a);
    return failed ? -1 : elapsed;
}
