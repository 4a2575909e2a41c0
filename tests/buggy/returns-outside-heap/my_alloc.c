/*
 * tests/buggy/returns-outside-heap -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: small requests are served from a static buffer
 * instead of the heap.
 * The line with the mistake is marked BUG; tests/test_buggy.py asserts the
 * driver's exact verdict for it.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* A bump allocator: every request takes fresh heap from mem_sbrk, rounded up
 * to 16 bytes; nothing is ever reused.  Correct except where marked BUG. */

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }

int my_init(void)
{
    return 0;
}

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)align_up(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    static _Alignas(16) char pool[64];
    if (size <= 16)
        return pool;             /* BUG: not in the simulated heap (and shared by all) */
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
