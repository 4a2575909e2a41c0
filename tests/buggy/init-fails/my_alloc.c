/*
 * tests/buggy/init-fails -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: my_init asks mem_sbrk for a negative increment and
 * reports the failure.
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
    /* BUG: mem_sbrk only grows the heap; a negative increment fails */
    return mem_sbrk(-16) == (void *)-1 ? -1 : 0;
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
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
