/*
 * tests/attacks/rules-nobits-rox/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: rules-data-rel-rox's 64 MB of out-of-heap metadata, but in a
 *   NOBITS section (the assembler is handed its own flags: the `#` comments out
 *   gcc's), so the object file stays small: the compile sandbox's file-size
 *   limit, which stops rules-data-rel-rox, never sees 64 MB.
 *
 * Expected (the fixed design): global-data violation, measured on the object's
 *   sections and the linked executable's writable segments (memory size, not
 *   file size): score 0, never run.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */

/* An implicit free list, first fit, immediate coalescing -- like
 * tests/allocators/implicit.c -- except that every block's header and footer
 * live OUTSIDE the simulated heap, in TABLES, indexed by the block's 16-byte
 * unit: blocks in the heap are bare payloads, so utilization sees no metadata. */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

#define UNIT 16
#define MAX_UNITS ((size_t)1 << 22)        /* 64 MB of simulated heap */
#define CHUNK_UNITS 256                    /* smallest heap extension: 4 KB */

static uint64_t oob_hdr[MAX_UNITS] __attribute__((section(".data.rel.rox,\"aw\",@nobits#")));
static uint64_t oob_ftr[MAX_UNITS] __attribute__((section(".data.rel.rox,\"aw\",@nobits#")));
#define HDR(u) oob_hdr[u]
#define FTR(u) oob_ftr[u]

static char *base;                         /* the heap's first byte */
static size_t end;                         /* units in the heap */

static uint64_t tag(size_t n, int used) { return (uint64_t)n << 1 | (uint64_t)used; }
static size_t units_of(uint64_t w) { return (size_t)(w >> 1); }
static int used_of(uint64_t w) { return (int)(w & 1); }
static void set_block(size_t u, size_t n, int used) { HDR(u) = tag(n, used); FTR(u + n - 1) = tag(n, used); }

static size_t coalesce(size_t u)
{
    size_t n = units_of(HDR(u));
    if (u + n < end && !used_of(HDR(u + n)))
        n += units_of(HDR(u + n));
    if (u > 0 && !used_of(FTR(u - 1))) {
        size_t p = units_of(FTR(u - 1));
        u -= p;
        n += p;
    }
    set_block(u, n, 0);
    return u;
}

int my_init(void)
{
    base = NULL;
    end = 0;
    return 0;
}

void *allocate_slab(size_t size)
{
    size_t n = (size + UNIT - 1) / UNIT;
    if (n == 0 || end + n > MAX_UNITS)
        return NULL;
    char *p = mem_sbrk((intptr_t)(n * UNIT));
    if (p == (void *)-1)
        return NULL;
    if (!base)
        base = p;
    size_t u = end;
    end += n;
    set_block(u, n, 0);
    return base + coalesce(u) * UNIT;
}

static void *find_fit(size_t n)
{
    for (size_t u = 0; u < end; u += units_of(HDR(u)))
        if (!used_of(HDR(u)) && units_of(HDR(u)) >= n)
            return base + u * UNIT;
    return NULL;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t n = (size + UNIT - 1) / UNIT;
    char *bp = find_fit(n);
    if (!bp) {
        if (!allocate_slab((n > CHUNK_UNITS ? n : CHUNK_UNITS) * UNIT))
            return NULL;
        bp = find_fit(n);
    }
    size_t u = (size_t)(bp - base) / UNIT, have = units_of(HDR(u));
    if (have > n) {
        set_block(u, n, 1);
        set_block(u + n, have - n, 0);
    } else {
        set_block(u, have, 1);
    }
    return bp;
}

void my_free(void *ptr)
{
    if (!ptr)
        return;
    size_t u = (size_t)((char *)ptr - base) / UNIT;
    set_block(u, units_of(HDR(u)), 0);
    coalesce(u);
}
