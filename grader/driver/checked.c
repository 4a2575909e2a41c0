/*
 * checked.c -- the checked replay, run by the checker against a sealed host.
 *
 * The trace goes to the host in batches (protocol.h); every check is made
 * here, on the shared heap, with replay.c's checks, in trace order, so a
 * verdict names the same op and says the same words as the in-process
 * replay (replay_checked) would.  Per batch:
 *
 *   1. plan:   ops from i on, at most BATCH_MAX, ending after an op where
 *              a picture is due, and after every op when one byte is
 *              watched (the corruptor search) or frames are kept (the
 *              allocator's own checker, C9, runs in the host, per op);
 *   2. verify: the payload of every block the batch frees or reallocs that
 *              is live now (C4, "before it was freed"); the batch ends
 *              before the first that is not intact, which is then reported
 *              at its own op, after the ops before it;
 *   3. send:   the host runs the batch, writing the payload patterns;
 *   4. check:  each answer in order (C1-C3, C5, C7, C8); a batch the host
 *              stopped early names a payload it found changed, which the
 *              checker then verifies itself; a write past the break is
 *              caught when the host asks for more heap (the slack is about
 *              to become heap) and after the batch (C6); then the heap
 *              checker (C9) and the pictures.
 *
 * What the host writes is never believed: answers are checked like any
 * pointer; a batch stopped for an intact payload is a protocol breach.
 */
#include "checked.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "memlib.h"
#include "pattern.h"

static int picture_due(const struct replay *r, int recording, size_t k, size_t stride)
{
    return recording && (k % stride == stride - 1 || k == r->t->peak_op || k + 1 == r->t->nops);
}

/* 1. How many ops, from i on, go in the next batch. */
static size_t plan_batch(const struct replay *r, size_t i, int recording, size_t stride)
{
    const struct trace *t = r->t;
    if (r->one_by_one || r->watch != LIVEMAP_NONE || (recording && r->frames))
        return 1;
    size_t n = 0;
    while (i + n < t->nops && n < BATCH_MAX) {
        size_t k = i + n++;
        if (picture_due(r, recording, k, stride))
            break;
    }
    return n;
}

/* 2. C4 for the live blocks the batch frees or reallocs: the batch is cut
 * before the first that fails, or -1 when that is its very first op. */
static long verify_before(struct replay *r, size_t i, size_t *n, struct replay_error *err)
{
    const struct trace *t = r->t;
    for (size_t k = i; k < i + *n; k++) {
        const struct op *op = &t->ops[k];
        if (op->kind == OP_ALLOC || !r->ptrs[op->id])
            continue;
        struct replay_error e;
        const char *when = op->kind == OP_FREE ? "before it was freed" : "before it was reallocated";
        if (replay_check_intact(r, (long)k, op->id, when, &e) != 0) {
            if (k == i) {
                *err = e;
                return -1;
            }
            *n = k - i;
            return 0;
        }
    }
    return 0;
}

/* 3. The host runs ops [i, i + n); returns how many it did, *stopped = 1 when
 * it stopped before the next one for a payload that lost its pattern. */
static size_t send_batch(struct host *h, const struct trace *t, size_t i, size_t n, long r_check_every,
                         int *stopped)
{
    memcpy(h->ctl->batch, t->ops + i, n * sizeof *t->ops);
    h->batch_first = (long)i;
    h->batch_n = (long)n;
    h->slack_op = -1;
    h->ctl->check_every = r_check_every;
    int64_t done = remote_request(h, DOWN_BATCH, (int64_t)n, (int64_t)i);
    int64_t flag = h->ctl->up.arg2;
    h->batch_n = 0;
    if (done < 0 || (size_t)done > n || flag < 0 || flag > 2 || (flag == 1 && (size_t)done == n) ||
        (flag == 2 && done == 0))
        remote_protocol_error(h, "a batch answer that does not fit the batch");
    *stopped = (int)flag;
    return (size_t)done;
}

/* Is id freed or reallocated again after op k, before op end?  Then its
 * bytes after the batch are not the realloc's to answer for (the host
 * checked the payload before that later op, host.c). */
static int touched_later(const struct trace *t, size_t k, size_t end, uint32_t id)
{
    for (size_t j = k + 1; j < end; j++)
        if (t->ops[j].id == id)
            return 1;
    return 0;
}

/* 4. One op's answer, in trace order (the model moves as replay_checked's);
 * end: one past the batch's last op. */
static int check_op(struct replay *r, const struct allocator *a, int pass, size_t k, size_t end,
                    int64_t answer, uint64_t *live, struct replay_error *err)
{
    const struct op *op = &r->t->ops[k];
    uint32_t id = op->id;
    /* the host's word: any value; checked as a pointer before anything reads it */
    void *p = answer == -1 ? NULL : (void *)((uintptr_t)mem_heap_lo() + (uint64_t)answer);
    *r->progress = (long)k;
    switch (op->kind) {
    case OP_ALLOC:
        if (replay_check_new(r, a, (long)k, "my_alloc", id, op->size, p, err))
            return -1;
        r->ptrs[id] = p;
        r->sizes[id] = op->size;
        r->lines[id] = r->t->lines[k];
        *live += op->size;
        break;
    case OP_FREE:
        if (r->ptrs[id])
            livemap_remove(&r->live, id);
        *live -= r->sizes[id];
        r->ptrs[id] = NULL;
        r->sizes[id] = 0;
        break;
    case OP_REALLOC: {
        size_t old = r->sizes[id];
        if (r->ptrs[id])
            livemap_remove(&r->live, id);
        if (replay_check_new(r, a, (long)k, "my_realloc", id, op->size, p, err))
            return -1;
        size_t kept = old < op->size ? old : op->size;
        long bad = touched_later(r->t, k, end, id) ? -1 : pattern_check(p, id, kept);
        if (bad >= 0)
            return replay_fail(err, "realloc-data", (long)k, "realloc of id %u from %zu to %zu bytes "
                               "(heap+%#lx) did not keep its contents: byte %ld should be 0x%02x, "
                               "found 0x%02x", id, old, (size_t)op->size,
                               (unsigned long)((char *)p - (char *)mem_heap_lo()), bad,
                               pattern_byte(id, (size_t)bad), ((uint8_t *)p)[bad]);
        r->ptrs[id] = p;
        r->sizes[id] = op->size;
        r->lines[id] = r->t->lines[k];
        *live = *live - old + op->size;
        break;
    }
    }
    return replay_check_same(r, pass, (long)k, r->ptrs[id], err);
}

static int past_break(struct host *h, size_t k, struct replay_error *err)
{
    if (h->slack_op != (long)k)
        return 0;
    return replay_fail(err, "past-break", (long)k, "the allocator wrote at heap+%#zx, %ld bytes past "
                       "the break (the heap is %zu bytes): memory past the break is not the heap's "
                       "until mem_sbrk grants it", h->slack_heap + (size_t)h->slack_off, h->slack_off,
                       h->slack_heap);
}

/* C6 and the watched byte after a batch (C9 ran in the host, per op). */
static int after_batch(struct replay *r, const struct allocator *a, long k, struct replay_error *err)
{
    int check_heap = r->check_heap;
    r->check_heap = 0;
    int rc = replay_check_after(r, a, k, err);
    r->check_heap = check_heap;
    return rc;
}

/* C9 failed in the host after op k: first what the checker sees itself
 * after that op (as replay_check_after orders them), then the verdict. */
static int checker_failed(struct replay *r, const struct allocator *a, struct host *h, long k,
                          struct replay_error *err)
{
    if (past_break(h, (size_t)k, err) || after_batch(r, a, k, err))
        return -1;
    char text[REPORT_MAX];
    memcpy(text, h->ctl->report, sizeof text);
    text[sizeof text - 1] = '\0';
    int rc = h->ctl->check_rc;
    if (text[0])
        return replay_fail(err, "checker", k, "my_check_heap: %s", text);
    return replay_fail(err, "checker", k, "my_check_heap returned %d (it gave no reason: "
                       "call heap_report to say which invariant broke)", rc);
}

int checked_replay(struct replay *r, const struct allocator *a, int pass, struct replay_error *err)
{
    const struct trace *t = r->t;
    struct host *h = remote_current();
    err->kind[0] = '\0';
    err->op = -1;
    memset(r->ptrs, 0, (t->nids ? t->nids : 1) * sizeof *r->ptrs);
    livemap_clear(&r->live);
    mem_reset();
    *r->progress = -1;
    if (a->init() != 0)
        return replay_fail(err, "init", -1, "my_init returned nonzero");
    int recording = r->record && pass == 1;
    size_t stride = t->nops / SERIES_POINTS + 1;
    uint64_t live = 0;
    if (recording)
        r->nseries = 0;
    for (size_t i = 0; i < t->nops;) {
        size_t n = plan_batch(r, i, recording, stride);
        *r->progress = (long)i;
        if (verify_before(r, i, &n, err) != 0)
            return -1;
        int stopped = 0;
        long every = r->check_heap && a->check ? (r->check_every > 1 ? r->check_every : 1) : 0;
        size_t done = send_batch(h, t, i, n, every, &stopped);
        for (size_t k = i; k < i + done; k++) {
            if (past_break(h, k, err) ||
                check_op(r, a, pass, k, i + done, h->ctl->batch_answer[k - i], &live, err))
                return -1;
        }
        size_t last = i + done;   /* the next op to run */
        if (stopped == 2)   /* my_check_heap failed after op last - 1 */
            return checker_failed(r, a, h, (long)last - 1, err);
        if (stopped) {
            const struct op *op = &t->ops[last];
            *r->progress = (long)last;
            const char *when = op->kind == OP_FREE ? "before it was freed" : "before it was reallocated";
            if (!r->ptrs[op->id] || replay_check_intact(r, (long)last, op->id, when, err) == 0)
                remote_protocol_error(h, "a batch stopped for a payload that is intact");
            return -1;
        }
        if (done < n)   /* only after a NULL or outside answer, which check_op refused */
            remote_protocol_error(h, "a batch cut short without a reason");
        if (done == 0)
            continue;
        if (past_break(h, last - 1, err) || after_batch(r, a, (long)last - 1, err))
            return -1;
        if (recording) {
            size_t k = last - 1;
            if (picture_due(r, recording, k, stride))
                replay_record_point(r, k, live);
            if (k == t->peak_op)
                replay_record_map(r, a, 0, k);
            if (r->frames)
                replay_record_map_into(r, a, &r->frames[k], k);
        }
        i = last;
    }
    for (size_t id = 0; id < t->nids; id++)
        if (r->ptrs[id] && replay_check_intact(r, (long)t->nops - 1, (uint32_t)id, "before the end of the trace", err))
            return -1;
    if (recording && t->nops)
        replay_record_map(r, a, 1, t->nops - 1);
    return 0;
}
