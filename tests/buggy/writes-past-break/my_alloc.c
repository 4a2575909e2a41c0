/*
 * tests/buggy/writes-past-break -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: a boundary tag written one word past the end of the
 * block, which for the newest block is the break.
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
    size_t asize = align_up(size);
    char *p = allocate_slab(asize);
    if (p == NULL)
        return NULL;
    *(size_t *)(p + asize) = asize;   /* BUG: the footer belongs at p + asize - 8, inside the block */
    return p;
}

void my_free(void *ptr)
{
    (void)ptr;
}
