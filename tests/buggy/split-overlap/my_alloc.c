/*
 * tests/buggy/split-overlap -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: splitting off the front of a free chunk, the split
 * point is off by one 16-byte granule, so consecutive blocks overlap.
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

static char *chunk, *chunk_end;   /* the unused rest of the last slab */

int my_init(void)
{
    chunk = chunk_end = NULL;
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
    size_t asize = align_up(size);
    if ((size_t)(chunk_end - chunk) < asize) {
        size_t n = asize > 4096 ? asize : 4096;
        chunk = allocate_slab(n);
        if (chunk == NULL)
            return NULL;
        chunk_end = chunk + n;
    }
    void *bp = chunk;
    chunk += asize - 16;        /* BUG: off by one granule: should be chunk += asize */
    return bp;
}

void my_free(void *ptr)
{
    (void)ptr;
}
