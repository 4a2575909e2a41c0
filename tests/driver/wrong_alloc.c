/*
 * wrong_alloc.c -- one tiny allocator, broken on purpose in exactly one way
 * per build, so that each of the driver's checks is seen to catch its bug.
 *
 * Without any WRONG_* macro it is a correct bump allocator: my_alloc carves
 * from the break, my_free does nothing, my_realloc allocates and copies.
 * Build with -DWRONG_<NAME>; the bug fires on the second request (calls == 2)
 * so the trace's first op always succeeds.  tests/test_driver.py lists the
 * expected verdict for each.
 */
#include <stdlib.h>
#include <string.h>

#include "memlib.h"
#include "my_alloc.h"

static int calls;
static int started;     /* set by the first request of a replay */

int my_init(void)
{
    calls = 0;
#ifndef WRONG_NO_RESET
    started = 0;        /* the bug: forgetting this line */
#endif
    return 0;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round16(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (size == 0) {
#ifdef WRONG_ZERO
        return allocate_slab(16);
#endif
        return NULL;
    }
    if (calls == 0 && started)
        allocate_slab(16);      /* only reached when my_init left `started` set */
    started = 1;
    char *p = allocate_slab(size);
    if (!p)
        return NULL;
    calls++;
    if (calls != 2)
        return p;
#if defined(WRONG_MISALIGNED)
    return p + 8;
#elif defined(WRONG_OUTSIDE)
    return p + 4096 * 16;
#elif defined(WRONG_OVERLAP)
    return p - 16;
#elif defined(WRONG_CORRUPT)
    p[-1] = 0x5a;                  /* scribbles on the previous payload */
#elif defined(WRONG_SLACK)
    p[round16(size) + 24] = 1;     /* 24 bytes past the break, same page */
#elif defined(WRONG_FAULT)
    p[round16(size) + 24 + 8192] = 1;
#elif defined(WRONG_NULL)
    return NULL;
#elif defined(WRONG_NULL_DEREF)
    *(volatile int *)(uintptr_t)8 = 1;
#elif defined(WRONG_HANG)
    for (volatile int spin = 1; spin;) {
    }
#elif defined(WRONG_EXIT)
    exit(3);
#elif defined(WRONG_ABORT)
    abort();
#endif
    return p;
}

void my_free(void *ptr)
{
    (void)ptr;
}

#ifndef WITHOUT_OPTIONAL   /* -DWITHOUT_OPTIONAL: the driver's fallbacks are used */
void *my_realloc(void *ptr, size_t size)
{
    char *q = my_alloc(size);
    if (!q)
        return NULL;
    /* The driver only says how big the new block is; a bump allocator may copy
     * `size` bytes from ptr because everything after ptr is still heap. */
    size_t avail = (size_t)((char *)mem_heap_hi() + 1 - (char *)ptr) - round16(size);
    size_t n = size < avail ? size : avail;
#ifdef WRONG_REALLOC
    n /= 2;
#endif
    memmove(q, ptr, n);
    return q;
}

int my_check_heap(void)
{
#ifdef WRONG_CHECKER
    if (calls >= 2) {
        heap_report("I1: block at heap+%#x has a bad header (planted by the test)", 16);
        return 1;
    }
#endif
    return 0;
}
#endif
