/*
 * tests/buggy/misaligned-payload -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: an 8-byte header in front of every block pushes the
 * payload off 16-byte alignment.
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
    char *block = allocate_slab(size + 8);
    if (block == NULL)
        return NULL;
    *(size_t *)block = size;    /* a header, for my_free */
    return block + 8;           /* BUG: block is 16-aligned, so block + 8 is not */
}

void my_free(void *ptr)
{
    (void)ptr;
}
