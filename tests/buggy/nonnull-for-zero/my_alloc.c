/*
 * tests/buggy/nonnull-for-zero -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: my_alloc(0) returns a real block instead of NULL.
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
    return allocate_slab(size ? size : 16);   /* BUG: size 0 must give NULL */
}

void my_free(void *ptr)
{
    (void)ptr;
}
