/*
 * tests/attacks/address-forge-result/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: a bump allocator that, in the first timed replay (the third my_init),
 *   finds the child's result record on the stack above its frame and rewrites
 *   heap_size to the trace's peak payload: a forged utilization of 100%, above the
 *   ceiling.
 *
 * Expected (the fixed design): the checker computes heap size in its own process: an
 *   honest bump-allocator score (base: tests/attacks/_bases/bump.c), never more.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ---- the cheat: a bump allocator (nothing is ever reused) ---- */
static void *bump_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    void *p = mem_sbrk((intptr_t)((size + 15) & ~(size_t)15));
    return p == (void *)-1 ? NULL : p;
}

/* ---- finding the driver's result record on the stack ---- */
#define RES_HEAP_SIZE 648        /* offsetof(struct trace_result, heap_size) today */
#define RES_RATE 672             /* offsetof(struct trace_result, rate) */

static char *find_result(uint64_t pass1_heap)
{
    char *p = (char *)__builtin_frame_address(0);
    p = (char *)((uintptr_t)p & ~(uintptr_t)7);
    for (size_t off = 0; off < (size_t)48 << 10; off += 8) {
        char *q = p + off;
        uint64_t v;
        int correct;
        memcpy(&v, q, sizeof v);
        if (v != pass1_heap || off < RES_HEAP_SIZE)
            continue;
        memcpy(&correct, q - RES_HEAP_SIZE, sizeof correct);
        if (correct == 1)
            return q - RES_HEAP_SIZE;
    }
    return NULL;
}

static int inits;
static uint64_t heap_now, pass1_heap, live, peak;

int my_init(void)
{
    inits++;
    if (inits == 2)
        pass1_heap = heap_now;
    if (inits == 3 && pass1_heap) {
        char *res = find_result(pass1_heap);
        if (res) {
            uint64_t forged = (peak + 15) & ~(uint64_t)15;
            memcpy(res + RES_HEAP_SIZE, &forged, sizeof forged);
        }
    }
    heap_now = live = 0;
    if (inits == 1)
        peak = 0;
    return 0;
}

void *allocate_slab(size_t size) { return bump_alloc(size); }

void *my_alloc(size_t size)
{
    char *p = bump_alloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);          /* the request's size, for my_free */
    heap_now += (size + 16 + 15) & ~(size_t)15;
    live += size;
    if (inits == 1 && live > peak)
        peak = live;
    return p + 16;
}

void my_free(void *ptr)
{
    if (!ptr)
        return;
    size_t size;
    memcpy(&size, (char *)ptr - 16, sizeof size);
    live -= size;
}
