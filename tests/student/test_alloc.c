/*
 * test_alloc.c -- unit tests for YOUR allocator (my_alloc.c), run by `make test`.
 *
 * The driver (`make grade`) replays whole traces; these tests call your
 * functions directly, one property at a time, so a failure points at one
 * thing: alignment, overlap, reuse, coalescing, realloc, my_init's reset, or
 * allocate_slab's contract (the one test that calls allocate_slab itself).
 * Each test says what a failure usually means.  Run one test alone with
 *     build/tests/test_alloc --filter 'alloc/coalescing_shows_in_heap_size'
 * and debug it (Criterion runs each test in a child process) with gdbserver:
 *     build/tests/test_alloc --filter 'alloc/coalescing_shows_in_heap_size' --debug=gdb
 *     gdb build/tests/test_alloc -ex 'target remote localhost:1234'   (another terminal)
 *
 * Every test starts on an empty simulated heap (mem_reset + my_init) in its
 * own process, so one crash costs one test.  When your allocator defines
 * my_check_heap, the random workload calls it after every operation; when it
 * defines my_realloc, the realloc test calls it (else it tests the same
 * alloc + copy + free fallback the driver uses).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* Optional functions: NULL when the allocator does not define them. */
#pragma weak my_realloc
#pragma weak my_check_heap

/* The text your checker gave heap_report(), kept by the kit's heap_report
 * (grader/driver/heap_report.c); weak, so the tests still link against a kit
 * that keeps it elsewhere. */
const char *heap_report_message(void);
void heap_report_clear(void);
#pragma weak heap_report_message
#pragma weak heap_report_clear

static void fresh_heap(void)
{
    cr_assert_eq(mem_init(), 0, "could not reserve the simulated heap");
    mem_reset();
    cr_assert_eq(my_init(), 0, "my_init returned nonzero on an empty heap");
}

TestSuite(alloc, .init = fresh_heap);

/* ---- helpers -------------------------------------------------------------- */

/* A deterministic generator, so every run sees the same requests. */
static uint64_t rng_state = 88172645463325252u;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t random_between(size_t lo, size_t hi) { return lo + next_random() % (hi - lo + 1); }

/* The byte block `tag` holds at offset i: differs between blocks and offsets. */
static unsigned char pattern_byte(unsigned tag, size_t i) { return (unsigned char)(tag * 131u + i * 7u + 1u); }

static void fill(void *p, size_t size, unsigned tag)
{
    unsigned char *b = p;
    for (size_t i = 0; i < size; i++)
        b[i] = pattern_byte(tag, i);
}

/* Index of the first byte of p that does not hold tag's pattern, or -1. */
static long first_changed(const void *p, size_t size, unsigned tag)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < size; i++)
        if (b[i] != pattern_byte(tag, i))
            return (long)i;
    return -1;
}

/* my_alloc(size), asserting the contract's (1) and (2). */
static void *alloc_checked(size_t size)
{
    void *p = my_alloc(size);
    cr_assert_not_null(p, "my_alloc(%zu) returned NULL with a %zu-byte heap: NULL is only for size 0 or when "
                       "mem_sbrk fails (on the starter every my_alloc returns NULL; otherwise: does "
                       "allocate_slab add the new memory to the list find_fit searches, and do both "
                       "round sizes the same way, block_size_for?)", size, mem_heapsize());
    cr_assert_eq((uintptr_t)p % ALIGNMENT, 0, "my_alloc(%zu) returned %p, not %d-byte aligned",
                 size, p, ALIGNMENT);
    cr_assert(mem_contains(p, size), "my_alloc(%zu) returned %p: [p, p+%zu) is not inside the heap [%p, %p]",
              size, p, size, mem_heap_lo(), mem_heap_hi());
    return p;
}

static void *realloc_any(void *p, size_t old_size, size_t size)
{
    if (my_realloc)
        return my_realloc(p, size);
    void *q = my_alloc(size);   /* the driver's fallback when there is no my_realloc */
    if (q) {
        memcpy(q, p, old_size < size ? old_size : size);
        my_free(p);
    }
    return q;
}

static void check_heap_after(const char *what, size_t op)
{
    if (!my_check_heap)
        return;
    if (heap_report_clear)
        heap_report_clear();
    int bad = my_check_heap();
    const char *said = heap_report_message ? heap_report_message() : "";
    cr_assert_eq(bad, 0, "my_check_heap returned %d after op %zu of the random workload (%s): %s", bad, op, what,
                 said && said[0] ? said : "(it gave no heap_report message: call heap_report(\"...\") "
                 "before returning nonzero, to say which invariant broke and where)");
}

/* ---- the tests -------------------------------------------------------------- */

Test(alloc, zero_size_and_null_free)
{
    cr_assert_null(my_alloc(0), "my_alloc(0) must return NULL");
    my_free(NULL);   /* must be a no-op: a crash here means my_free dereferenced NULL */
}

/* Every size from 1 to 300 and some large ones, all live at once. */
Test(alloc, alignment_and_inside_heap)
{
    for (size_t size = 1; size <= 300; size++)
        alloc_checked(size);
    const size_t big[] = {1000, 4095, 4096, 4097, 10000, 100000, 1 << 20};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        alloc_checked(big[i]);
}

/* 400 live blocks of random sizes: no two payloads may share a byte, and
 * each keeps its contents while the others are allocated.  A failure here
 * usually means a block was handed out twice, or a split/header write landed
 * inside a neighbour's payload. */
#define NLIVE 400
struct live { unsigned char *p; size_t size; };

static int by_address(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

Test(alloc, no_overlap)
{
    static struct live blocks[NLIVE];
    for (unsigned i = 0; i < NLIVE; i++) {
        size_t size = random_between(1, i % 10 == 0 ? 5000 : 300);
        blocks[i].p = alloc_checked(size);
        blocks[i].size = size;
        fill(blocks[i].p, size, i);
    }
    for (unsigned i = 0; i < NLIVE; i++) {
        long at = first_changed(blocks[i].p, blocks[i].size, i);
        cr_assert_eq(at, -1, "block %u (%p, %zu bytes): byte %ld changed while other blocks were allocated",
                     i, (void *)blocks[i].p, blocks[i].size, at);
    }
    qsort(blocks, NLIVE, sizeof blocks[0], by_address);
    for (unsigned i = 1; i < NLIVE; i++)
        cr_assert(blocks[i - 1].p + blocks[i - 1].size <= blocks[i].p,
                  "payloads overlap: [%p, +%zu) and [%p, +%zu)", (void *)blocks[i - 1].p,
                  blocks[i - 1].size, (void *)blocks[i].p, blocks[i].size);
}

/* Allocating and freeing the same size over and over must reuse memory: the
 * heap stops growing.  A failure means freed blocks never come back (my_free
 * does nothing, or freed blocks never reach the list find_fit searches).
 * The plateau is measured over the second half of the rounds, so a policy
 * that changes once (say, slabs for a size after many requests) still passes. */
Test(alloc, reuse_after_free)
{
    const size_t sizes[] = {24, 100, 1000, 3000};
    size_t warm = 0;
    for (int round = 0; round < 1000; round++) {
        void *p[4];
        for (int i = 0; i < 4; i++)
            p[i] = alloc_checked(sizes[i]);
        for (int i = 0; i < 4; i++)
            my_free(p[i]);
        if (round == 499)
            warm = mem_heapsize();
    }
    cr_assert_eq(mem_heapsize(), warm,
                 "the heap grew from %zu to %zu bytes while the same 4 sizes were allocated and freed 500 more times",
                 warm, mem_heapsize());
}

/* Free 16 adjacent 2000-byte blocks (evens first, then odds, so every case of
 * coalescing happens), then ask for 30000 bytes: a coalescing allocator finds
 * room in the freed 32000; one that does not coalesce must grow the heap. */
Test(alloc, coalescing_shows_in_heap_size)
{
    void *b[16];
    for (int i = 0; i < 16; i++)
        b[i] = alloc_checked(2000);
    void *guard = alloc_checked(2000);   /* so the freed run is not the heap's end */
    for (int i = 0; i < 16; i += 2)
        my_free(b[i]);
    for (int i = 1; i < 16; i += 2)
        my_free(b[i]);
    size_t before = mem_heapsize();
    void *big = alloc_checked(30000);
    size_t grew = mem_heapsize() - before;
    cr_assert_lt(grew, 16000,
                 "after freeing 16 adjacent 2000-byte blocks, my_alloc(30000) grew the heap by %zu bytes: "
                 "the freed blocks were not coalesced", grew);
    fill(big, 30000, 7);
    my_free(guard);
    cr_assert_eq(first_changed(big, 30000, 7), -1, "freeing a neighbour changed the big block");
}

/* realloc keeps min(old, new) bytes, growing and shrinking, with live
 * neighbours that must stay intact. */
Test(alloc, realloc_keeps_content)
{
    unsigned char *left = alloc_checked(64);
    unsigned char *p = alloc_checked(100);
    unsigned char *right = alloc_checked(64);
    fill(left, 64, 1);
    fill(p, 100, 2);
    fill(right, 64, 3);

    p = realloc_any(p, 100, 5000);
    cr_assert_not_null(p, "realloc to 5000 bytes returned NULL");
    cr_assert_eq((uintptr_t)p % ALIGNMENT, 0, "realloc returned a misaligned %p", (void *)p);
    cr_assert_eq(first_changed(p, 100, 2), -1, "growing 100 -> 5000 lost byte %ld",
                 first_changed(p, 100, 2));
    fill(p, 5000, 4);

    p = realloc_any(p, 5000, 50);
    cr_assert_not_null(p, "realloc to 50 bytes returned NULL");
    cr_assert_eq(first_changed(p, 50, 4), -1, "shrinking 5000 -> 50 lost byte %ld", first_changed(p, 50, 4));

    p = realloc_any(p, 50, 3000);
    cr_assert_not_null(p, "realloc to 3000 bytes returned NULL");
    cr_assert_eq(first_changed(p, 50, 4), -1, "growing 50 -> 3000 lost byte %ld", first_changed(p, 50, 4));

    cr_assert_eq(first_changed(left, 64, 1), -1, "realloc changed the block before it");
    cr_assert_eq(first_changed(right, 64, 3), -1, "realloc changed the block after it");
}

/* A random mix of 4000 allocs, frees and reallocs over 150 slots, every
 * payload verified when it is freed or resized, your heap checker run after
 * every op.  Returns the heap size at the end (used by the reset test). */
#define SLOTS 150
struct slot { unsigned char *p; size_t size; unsigned tag; };

static size_t random_workload(void)
{
    static struct slot slot[SLOTS];
    memset(slot, 0, sizeof slot);
    rng_state = 42;
    for (size_t op = 0; op < 4000; op++) {
        struct slot *s = &slot[next_random() % SLOTS];
        size_t size = next_random() % 8 == 0 ? random_between(1000, 20000) : random_between(1, 400);
        const char *what;
        if (s->p != NULL) {
            long at = first_changed(s->p, s->size, s->tag);
            cr_assert_eq(at, -1, "op %zu: block %p (%zu bytes) had byte %ld changed before it was freed",
                         op, (void *)s->p, s->size, at);
        }
        if (s->p == NULL) {
            what = "my_alloc";
            s->p = alloc_checked(size);
        } else if (next_random() % 3 == 0) {
            what = "realloc";
            unsigned char *q = realloc_any(s->p, s->size, size);
            cr_assert_not_null(q, "op %zu: realloc(%p, %zu) returned NULL", op, (void *)s->p, size);
            size_t kept = s->size < size ? s->size : size;
            long at = first_changed(q, kept, s->tag);
            cr_assert_eq(at, -1, "op %zu: realloc %zu -> %zu bytes lost byte %ld", op, s->size, size, at);
            s->p = q;
        } else {
            what = "my_free";
            my_free(s->p);
            s->p = NULL;
        }
        if (s->p != NULL) {
            s->size = size;
            s->tag = (unsigned)op;
            fill(s->p, size, s->tag);
        }
        check_heap_after(what, op);
    }
    return mem_heapsize();
}

Test(alloc, random_workload_with_checker)
{
    random_workload();
}

/* my_init must forget everything: the same workload replayed after
 * mem_reset + my_init must build exactly the same heap.  A failure usually
 * means a global (a list head, a "last fit" pointer) kept a value from the
 * first run. */
Test(alloc, my_init_resets_everything)
{
    size_t first = random_workload();
    mem_reset();
    cr_assert_eq(my_init(), 0, "my_init returned nonzero the second time");
    size_t second = random_workload();
    cr_assert_eq(first, second, "the same workload ended with a %zu-byte heap the first time and "
                 "%zu bytes after my_init: my_init did not reset all state", first, second);
}

/* allocate_slab's contract (include/my_alloc.h): grow the heap by at least
 * `size` bytes, return where the new free memory starts, and leave it free in
 * your lists, so that requests that fit in it are served WITHOUT the heap
 * growing again; NULL, with the heap unchanged, when mem_sbrk fails.  A
 * failure here usually means my_alloc grows the heap by itself and
 * allocate_slab is still a stub, or the new memory never reaches a free list. */
#define SLAB_BYTES ((size_t)1 << 20)

Test(alloc, allocate_slab_contract)
{
    unsigned char *live[6];
    for (unsigned i = 0; i < 6; i++) {
        live[i] = alloc_checked(100 + 300 * i);
        fill(live[i], 100 + 300 * i, 50 + i);
    }
    size_t before = mem_heapsize();
    char *slab = allocate_slab(SLAB_BYTES);
    cr_assert_not_null(slab, "allocate_slab(%zu) returned NULL on a %zu-byte heap: it must grow the heap "
                       "with mem_sbrk (is it still the starter's stub?)", SLAB_BYTES, before);
    size_t grown = mem_heapsize() - before;
    cr_assert_geq(grown, SLAB_BYTES, "allocate_slab(%zu) grew the heap by only %zu bytes: it must grow it by "
                  "at least `size` bytes (more is fine: rounding, a chunk, alignment)", SLAB_BYTES, grown);
    cr_assert(slab >= (char *)mem_heap_lo() && slab + SLAB_BYTES <= (char *)mem_heap_hi() + 1,
              "allocate_slab(%zu) returned %p, but [p, p + size) is not inside the heap [%p, %p]: return "
              "where the new free memory starts", SLAB_BYTES, (void *)slab, mem_heap_lo(), mem_heap_hi());
    for (unsigned i = 0; i < 6; i++)
        cr_assert_eq(first_changed(live[i], 100 + 300 * i, 50 + i), -1,
                     "allocate_slab changed byte %ld of a live %u-byte payload", 
                     first_changed(live[i], 100 + 300 * i, 50 + i), 100 + 300 * i);

    /* The new memory serves what fits in it, with no more growth. */
    size_t grown_to = mem_heapsize();
    void *half = alloc_checked(SLAB_BYTES / 2);
    cr_assert_eq(mem_heapsize(), grown_to, "after allocate_slab(%zu), my_alloc(%zu) grew the heap again, "
                 "by %zu bytes: the new memory must be free in your lists, ready for requests that fit",
                 SLAB_BYTES, SLAB_BYTES / 2, mem_heapsize() - grown_to);
    my_free(half);
    void *parts[64];
    for (int i = 0; i < 64; i++) {
        parts[i] = alloc_checked(SLAB_BYTES / 128);
        cr_assert_eq(mem_heapsize(), grown_to, "after allocate_slab(%zu) and a free, request %d of 64 x %zu "
                     "bytes (half the slab in all) grew the heap by %zu bytes: freed slab memory must be "
                     "reusable and splittable", SLAB_BYTES, i + 1, SLAB_BYTES / 128, mem_heapsize() - grown_to);
    }
    for (int i = 0; i < 64; i++)
        my_free(parts[i]);

    /* mem_sbrk cannot grow the heap by 2^40 bytes (it holds at most MEM_MAX_HEAP). */
    size_t now = mem_heapsize();
    cr_assert_null(allocate_slab((size_t)1 << 40), "allocate_slab(2^40) must return NULL: mem_sbrk returned "
                   "(void *)-1 (check for it before using the memory)");
    cr_assert_eq(mem_heapsize(), now, "a failed allocate_slab changed the heap size from %zu to %zu",
                 now, mem_heapsize());
    alloc_checked(100);   /* and the allocator still works */
    for (unsigned i = 0; i < 6; i++)
        cr_assert_eq(first_changed(live[i], 100 + 300 * i, 50 + i), -1,
                     "a live %u-byte payload changed during the allocate_slab test", 100 + 300 * i);
}
