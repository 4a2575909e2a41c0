/*
 * tests/buggy/init-forgets-flag -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: my_init lays out its padding only on the first call
 * (a static "initialised" flag it never clears), so the second replay hands
 * out different addresses.
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

static int initialised;

int my_init(void)
{
    if (!initialised) {          /* BUG: the heap is empty again at every my_init */
        if (mem_sbrk(32) == (void *)-1)
            return -1;           /* a 32-byte header area */
        initialised = 1;
    }
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
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
